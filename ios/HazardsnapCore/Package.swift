// swift-tools-version:5.9
// The Swift package of the Rust phone core. `Sources/` holds the uniffi-generated bindings
// (checked in); `hazardsnap_core.xcframework` is built from Rust (see ../README.md).
import PackageDescription

let package = Package(
    name: "HazardsnapCore",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "HazardsnapCore", targets: ["HazardsnapCore"]),
    ],
    targets: [
        .binaryTarget(name: "hazardsnap_core_lib", path: "hazardsnap_core.xcframework"),
        .target(
            name: "hazardsnap_coreFFI",
            dependencies: ["hazardsnap_core_lib"],
            path: "Sources/hazardsnap_coreFFI"
        ),
        .target(
            name: "HazardsnapCore",
            dependencies: ["hazardsnap_coreFFI"],
            path: "Sources/HazardsnapCore"
        ),
    ]
)
