import Foundation
import Imaging

/// Small real jobs that the daemon finishes in milliseconds, so a run can afford hundreds of them.
enum TinyJobs {
    enum Kind: CaseIterable {
        /// A PNG with a rectangle mask for the built-in fill.
        case fill
        /// A JPEG without a sidecar: decode, orientation and encode only.
        case ingest
        /// A PNG resized and converted to JPEG.
        case resize
        /// A prompt edit on a ComfyUI backend that never answers: retried, then failed.
        case retryExhausted
    }

    /// The backend for `retryExhausted` jobs: a ComfyUI server on a loopback port where nothing listens.
    /// Port 9 (discard) is closed on a test machine, so every connection is refused at once.
    static let offlineBackendConfiguration = """
        sidecar_grace: 0
        backends:
          - name: fill
            type: fill
          - name: offline
            type: comfyui
            servers: [127.0.0.1:9]
            timeouts:
              request: 1
              no_server: 1
        retry:
          attempts: 1
          initial_delay: 1
          max_delay: 1
        """

    /// Makes job number `index` of `kind` in `folder`; the seed varies the pixels.
    static func make(_ kind: Kind, index: Int, folder: String) throws -> LedgerJob {
        let stem = String(format: "j%05d", index)
        switch kind {
        case .fill:
            return LedgerJob(
                folder: folder, imageName: stem + ".png", image: try png(width: 96, height: 64, seed: index),
                sidecarName: stem + ".yaml", sidecar: Data("mask:\n  - rect: [30, 20, 24, 16]\nbackend: fill\n".utf8),
                outcome: .delivered(width: 96, height: 64)
            )
        case .ingest:
            return LedgerJob(
                folder: folder, imageName: stem + ".jpg", image: try jpeg(width: 80, height: 60, seed: index),
                outcome: .delivered(width: 80, height: 60)
            )
        case .resize:
            return LedgerJob(
                folder: folder, imageName: stem + ".png", image: try png(width: 96, height: 64, seed: index),
                sidecarName: stem + ".yaml", sidecar: Data("size: 48x32\noutput:\n  format: jpeg\n".utf8),
                outcome: .delivered(width: 48, height: 32)
            )
        case .retryExhausted:
            return LedgerJob(
                folder: folder, imageName: stem + ".png", image: try png(width: 64, height: 48, seed: index),
                sidecarName: stem + ".yaml", sidecar: Data("prompt: make it night\nbackend: offline\n".utf8),
                outcome: .failed(reason: "gave up after")
            )
        }
    }

    /// Returns a gradient with a seed-dependent offset, so every job has distinct bytes and the fill has texture.
    static func pattern(width: Int, height: Int, seed: Int) -> Image {
        var image = Image(width: width, height: height, layout: .rgb)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                image.pixels[index] = UInt8((x * 5 + seed) & 0xFF)
                image.pixels[index + 1] = UInt8((y * 7 + seed * 3) & 0xFF)
                image.pixels[index + 2] = UInt8(((x ^ y) * 3) & 0xFF)
            }
        }
        return image
    }

    static func png(width: Int, height: Int, seed: Int) throws -> Data {
        Data(try ImageEncoder.encode(pattern(width: width, height: height, seed: seed), options: EncodeOptions(format: .png)))
    }

    static func jpeg(width: Int, height: Int, seed: Int) throws -> Data {
        Data(try ImageEncoder.encode(pattern(width: width, height: height, seed: seed), options: EncodeOptions(format: .jpeg)))
    }
}
