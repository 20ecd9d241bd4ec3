// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "eservice",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "eservice", targets: ["eservice"]),
        .executable(name: "imaging-bench", targets: ["imaging-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CGD", path: "Sources/CGD", pkgConfig: "gdlib",
            providers: [.apt(["libgd-dev"])]),
        .systemLibrary(
            name: "CMagic", path: "Sources/CMagic",
            providers: [.apt(["libmagic-dev"])]),
        .target(name: "Domain", dependencies: [.product(name: "Crypto", package: "swift-crypto")], path: "Sources/Domain"),
        .target(name: "Imaging", dependencies: ["CGD", "CMagic"], path: "Sources/Imaging"),
        .target(
            name: "Migrations",
            dependencies: [.product(name: "Fluent", package: "fluent"), .product(name: "SQLKit", package: "sql-kit")],
            path: "Migrations"
        ),
        .target(
            name: "App",
            dependencies: [
                "Domain", "Imaging", "Migrations",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Sources/App"
        ),
        .executableTarget(name: "eservice", dependencies: ["App"], path: "Sources/eservice"),
        // Watermarks one file; scripts/bench-watermark.sh times it against bare libgd, vips and ImageMagick.
        .executableTarget(name: "imaging-bench", dependencies: ["Imaging"], path: "Sources/imaging-bench"),
        .testTarget(name: "DomainTests", dependencies: ["Domain"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)
