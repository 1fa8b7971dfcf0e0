#include "CFluxKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__ELF__)
#define FK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FK_CLONES
#endif

// exp(x) by Cephes' reduction and polynomial: x = n ln2 + r with |r| <= ln2 / 2, exp(r) by a
// degree-6 polynomial, 2^n put into the exponent field. Within 2 ulp of glibc's expf on
// [-87.3, 88.7]. Written without branches or calls so that the loops around it vectorise.
static inline float fk_exp_one(float x) {
    float clamped = fminf(fmaxf(x, -87.33654f), 88.72283f);
    // Adding 1.5 * 2^23 rounds x * log2(e) to an integer n held in the low mantissa bits.
    float shifted = clamped * 1.442695041f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float value = p * (r * r) + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    // n + 127 in the exponent field. n reaches 128 only near the top of the range, so it is
    // applied in two halves to stay finite there.
    int32_t exponent = bits - 0x4B400000;
    int32_t half = exponent >> 1;
    int32_t first = (half + 127) << 23;
    int32_t second = (exponent - half + 127) << 23;
    float scale1, scale2;
    memcpy(&scale1, &first, sizeof scale1);
    memcpy(&scale2, &second, sizeof scale2);
    float result = value * scale1 * scale2;
    result = x < -87.33654f ? 0.0f : result;
    result = x > 88.72283f ? INFINITY : result;
    return x != x ? x : result;
}

FK_CLONES
void fk_exp(const float *input, float *output, size_t count) {
    for (size_t i = 0; i < count; i++) output[i] = fk_exp_one(input[i]);
}

FK_CLONES
float fk_exponentiate_row(float *row, size_t count) {
    // Lets the compiler split the maximum and the sum into vector lanes. The sum then differs
    // from a serial one by float32 rounding only.
#pragma clang fp reassociate(on)
    float maximum = -INFINITY;
    for (size_t i = 0; i < count; i++) maximum = fmaxf(maximum, row[i]);
    if (count == 0 || maximum == -INFINITY) return 0.0f;
    float sum = 0.0f;
    for (size_t i = 0; i < count; i++) {
        float value = fk_exp_one(row[i] - maximum);
        row[i] = value;
        sum += value;
    }
    return sum;
}

FK_CLONES
void fk_gelu_tanh(float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        values[i] = x / (1.0f + fk_exp_one(-2.0f * inner));
    }
}

FK_CLONES
void fk_silu(float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        values[i] = x / (1.0f + fk_exp_one(-x));
    }
}

FK_CLONES
void fk_quick_gelu(float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        values[i] = x / (1.0f + fk_exp_one(-1.702f * x));
    }
}

// Mean and 1 / sqrt(variance + epsilon) of a row, accumulated in double so that sums over
// thousands of values do not drift.
static inline void fk_row_moments(const float *row, size_t count, float epsilon, float *mean, float *inverse) {
#pragma clang fp reassociate(on)
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += (double)row[i];
    double average = sum / (double)count;
    double squares = 0.0;
    for (size_t i = 0; i < count; i++) {
        double centred = (double)row[i] - average;
        squares += centred * centred;
    }
    *mean = (float)average;
    *inverse = (float)(1.0 / sqrt(squares / (double)count + (double)epsilon));
}

FK_CLONES
void fk_layer_norm_modulate(const float *row, float *output, size_t count, const float *shift, const float *scale, float epsilon) {
    float mean, inverse;
    fk_row_moments(row, count, epsilon, &mean, &inverse);
    for (size_t i = 0; i < count; i++) {
        float normalised = (row[i] - mean) * inverse;
        output[i] = normalised * (1.0f + scale[i]) + shift[i];
    }
}

FK_CLONES
void fk_layer_norm(float *row, size_t count, const float *weight, const float *bias, float epsilon) {
    float mean, inverse;
    fk_row_moments(row, count, epsilon, &mean, &inverse);
    for (size_t i = 0; i < count; i++) {
        float value = (row[i] - mean) * inverse;
        if (weight) value *= weight[i];
        if (bias) value += bias[i];
        row[i] = value;
    }
}

FK_CLONES
void fk_rms_norm(float *row, size_t count, const float *weight, float epsilon) {
#pragma clang fp reassociate(on)
    double squares = 0.0;
    for (size_t i = 0; i < count; i++) squares += (double)row[i] * (double)row[i];
    float inverse = (float)(1.0 / sqrt(squares / (double)count + (double)epsilon));
    for (size_t i = 0; i < count; i++) {
        float value = row[i] * inverse;
        row[i] = weight ? value * weight[i] : value;
    }
}

FK_CLONES
void fk_add_product(float *values, const float *factor, const float *addend, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] += factor[i] * addend[i];
}

FK_CLONES
void fk_add(float *values, const float *addend, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] += addend[i];
}

FK_CLONES
double fk_centred_sum(const float *values, size_t count, float centre, int squared) {
    // Float partial sums of 256 values, added up in double: the vector lanes keep the float sums
    // short, and the double total keeps a sum over a million values from drifting.
#pragma clang fp reassociate(on)
    double total = 0.0;
    for (size_t start = 0; start < count; start += 256) {
        size_t stop = count - start < 256 ? count : start + 256;
        float partial = 0.0f;
        if (squared) {
            for (size_t i = start; i < stop; i++) {
                float value = values[i] - centre;
                partial += value * value;
            }
        } else {
            for (size_t i = start; i < stop; i++) partial += values[i] - centre;
        }
        total += (double)partial;
    }
    return total;
}

FK_CLONES
void fk_scale_shift(float *values, size_t count, float scale, float shift, int silu) {
    if (silu) {
        for (size_t i = 0; i < count; i++) {
            float x = values[i] * scale + shift;
            values[i] = x / (1.0f + fk_exp_one(-x));
        }
    } else {
        for (size_t i = 0; i < count; i++) values[i] = values[i] * scale + shift;
    }
}

FK_CLONES
void fk_add_scalar(float *values, size_t count, float addend) {
    for (size_t i = 0; i < count; i++) values[i] += addend;
}

FK_CLONES
void fk_repeat_each(const float *source, float *target, size_t count, size_t factor) {
    for (size_t i = 0; i < count; i++) target[i] = source[i / factor];
}
