// The Android build of hazardsnap (隐患随手拍): plugins for every module, versions in
// gradle/libs.versions.toml. Modules: :hazardsnap-core (bindings + native library),
// :hazardsnap-logic (plain Kotlin, tested on the JVM), :app (Jetpack Compose).
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.jvm) apply false
    alias(libs.plugins.kotlin.compose) apply false
}
