#ifndef CFLUXKERNELS_H
#define CFLUXKERNELS_H

#include <stddef.h>

// Elementwise float32 kernels of the native Flux engine. Each is compiled for AVX-512, AVX2 and
// baseline x86-64 (or the generic target elsewhere), and the loader picks the widest one the CPU
// supports, so the engine needs no build flags for the machine it runs on.

/// Replaces row[i] by exp(row[i] - max(row)) and returns the sum of the new values. Returns 0 and
/// leaves the row unchanged when every value is -infinity or the row is empty.
float fk_exponentiate_row(float *row, size_t count);

/// GELU with the tanh approximation, in place: x * sigmoid(2 * 0.7978845608 * (x + 0.044715 x^3)),
/// which equals 0.5 x (1 + tanh(...)).
void fk_gelu_tanh(float *values, size_t count);

/// SiLU in place: x * sigmoid(x).
void fk_silu(float *values, size_t count);

/// CLIP's quick GELU in place: x * sigmoid(1.702 x).
void fk_quick_gelu(float *values, size_t count);

/// exp(x) elementwise from `input` to `output` (which may be the same array); 0 below -87.34 and
/// +infinity above 88.72. Exposed for tests of the polynomial.
void fk_exp(const float *input, float *output, size_t count);

/// LayerNorm of one row without affine terms, then (1 + scale) * x + shift, written to `output`.
/// The mean and variance are accumulated in double.
void fk_layer_norm_modulate(const float *row, float *output, size_t count, const float *shift, const float *scale, float epsilon);

/// LayerNorm of one row in place, times `weight` and plus `bias` when they are not NULL.
void fk_layer_norm(float *row, size_t count, const float *weight, const float *bias, float epsilon);

/// RMSNorm of one row in place: x / sqrt(mean(x^2) + epsilon), times `weight` when not NULL.
void fk_rms_norm(float *row, size_t count, const float *weight, float epsilon);

/// Adds factor[i] * addend[i] to values[i].
void fk_add_product(float *values, const float *factor, const float *addend, size_t count);

/// Adds addend[i] to values[i].
void fk_add(float *values, const float *addend, size_t count);

/// Returns the sum of (x - centre), or of (x - centre)^2 when `squared` is nonzero, over `count`
/// values: float partial sums of 256 values, added in double.
double fk_centred_sum(const float *values, size_t count, float centre, int squared);

/// Replaces values[i] by values[i] * scale + shift, followed by SiLU when `silu` is nonzero.
void fk_scale_shift(float *values, size_t count, float scale, float shift, int silu);

/// Adds `addend` to every value.
void fk_add_scalar(float *values, size_t count, float addend);

/// Writes target[i] = source[i / factor] for i < count: one row of a nearest-neighbour upsampling.
void fk_repeat_each(const float *source, float *target, size_t count, size_t factor);

/// Sets glibc's allocator to keep freed memory for reuse: one arena for all threads, no mmap for
/// large blocks, no automatic trimming. Returns 1 when every setting was accepted, 0 otherwise
/// (always 0 without glibc).
int fk_retain_freed_memory(void);

/// Returns the heap's free pages to the system (malloc_trim); does nothing without glibc.
void fk_release_freed_memory(void);

#endif
