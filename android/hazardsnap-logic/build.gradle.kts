// The screens' logic in plain Kotlin (no Android class): form validation, the view models'
// states, the sync scheduling decisions, the status texts. Unit tests run on the JVM
// (`./gradlew :hazardsnap-logic:test`); tests/kotlin/run.sh also runs them with the real core.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    api(libs.kotlinx.coroutines.core)
    testImplementation(libs.junit)
}
