// The Android library module that wraps the Rust phone core (hazardsnap-core).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "hazardsnap-android"
include(":hazardsnap-core")
