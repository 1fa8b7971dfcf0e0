internal import COpenBLAS

/// Thin wrappers over the OpenBLAS calls the engine uses.
enum BLAS {
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// C[m×n] = alpha · A[m×k] · op(B) + beta · C, all row-major.
    /// `bTransposed` means B is stored [n×k] (a PyTorch Linear weight), otherwise [k×n].
    static func gemm(
        m: Int,
        n: Int,
        k: Int,
        a: UnsafePointer<Float>,
        lda: Int,
        b: UnsafePointer<Float>,
        ldb: Int,
        bTransposed: Bool,
        c: UnsafeMutablePointer<Float>,
        ldc: Int,
        alpha: Float = 1,
        beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            CblasNoTrans,
            bTransposed ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc)
        )
    }
}
