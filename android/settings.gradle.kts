// The modules of the Android build: the core's bindings library, the plain-Kotlin logic of
// the screens, and the app.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "hazardsnap-android"
include(":hazardsnap-core", ":hazardsnap-logic", ":app")
