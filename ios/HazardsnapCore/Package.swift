// swift-tools-version:5.9
// The Swift package of the Rust phone core (隐患随手拍核心). `Sources/HazardsnapCore` holds the
// uniffi-generated Swift bindings (checked in, never edited); `hazardsnap_core.xcframework` is
// built by ../build-xcframework.sh on a Mac: the core as a pre-linked static library for the
// device and the simulators, with the generated C header and module map
// (`Sources/hazardsnap_coreFFI/include`, copied in) that the bindings import as
// `hazardsnap_coreFFI`. Only the FFI's symbols are global in it, so the core's bundled SQLite
// never meets the app's.
import PackageDescription

let package = Package(
    name: "HazardsnapCore",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "HazardsnapCore", targets: ["HazardsnapCore"]),
    ],
    targets: [
        .binaryTarget(name: "hazardsnap_coreFFI", path: "hazardsnap_core.xcframework"),
        .target(
            name: "HazardsnapCore",
            dependencies: ["hazardsnap_coreFFI"],
            path: "Sources/HazardsnapCore"
        ),
    ]
)
