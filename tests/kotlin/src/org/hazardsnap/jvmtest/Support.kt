/**
 * What the JVM tests share: the JUnit entry point that prints the plain closing line, test
 * photos made with the JDK's own JPEG encoder, a fresh data folder per test, and a small HTTP
 * client that acts as the union officer on the real demo server (`tests/kotlin/run.sh` starts
 * it and passes its address in `HAZARDSNAP_TEST_SERVER`).
 */
package org.hazardsnap.jvmtest

import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.internal.TextListener
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.util.Random
import javax.imageio.ImageIO
import kotlin.system.exitProcess

/** Runs the test classes named in [args] and prints `kotlin: N passed, N failed`. */
fun main(args: Array<String>) {
    val junit = JUnitCore()
    junit.addListener(TextListener(System.out))
    val result = junit.run(*args.map { Class.forName(it) }.toTypedArray())
    result.failures.forEach { f: Failure -> System.err.println("FAILED ${f.testHeader}: ${f.trace}") }
    val passed = result.runCount - result.failureCount
    println("kotlin: $passed passed, ${result.failureCount} failed, ${result.ignoreCount} skipped")
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}

/** Test inputs and the demo server. */
object Fixtures {
    /** The demo server's base URL. */
    val server: String = System.getenv("HAZARDSNAP_TEST_SERVER") ?: error("HAZARDSNAP_TEST_SERVER is not set: run tests/kotlin/run.sh")

    /** The demo district's enrollment code of enterprise E001 (server/src/org/demo-roster.toml). */
    const val ENROLLMENT_CODE = "E001-JOIN-DEMO"

    /** A JPEG whose content (and so its hash) depends on [seed]: no two tests share a hazard. */
    fun jpeg(seed: Long, w: Int = 480, h: Int = 360): ByteArray {
        val rnd = Random(seed)
        val img = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
        val colours = IntArray(16) { rnd.nextInt(0x1000000) }
        for (y in 0 until h) for (x in 0 until w) {
            img.setRGB(x, y, colours[((x / 40) xor (y / 30)) and 15] xor ((x and 31) shl 16) xor (y and 31))
        }
        val out = ByteArrayOutputStream()
        check(ImageIO.write(img, "jpg", out))
        return out.toByteArray()
    }

    /** Writes [jpeg] of [seed] to a file in [dir], as a camera would. */
    fun photoFile(dir: Path, seed: Long): String {
        val p = dir.resolve("camera-$seed.jpg")
        Files.write(p, jpeg(seed))
        return p.toString()
    }

    /** A fresh folder. */
    fun tempDir(): Path = Files.createTempDirectory("hazardsnap-jvm-")
}

/** The union officer's side of the demo server, over plain HTTP. */
class Officer(username: String, password: String) {
    private val http = HttpClient.newHttpClient()
    private val token: String

    init {
        val body = post("/api/v1/session", """{"username":"$username","password":"$password"}""", auth = false)
        token = field(body, "token") ?: error("no token in $body")
    }

    private fun request(path: String) = HttpRequest.newBuilder(URI.create(Fixtures.server + path))

    fun get(path: String): String {
        val r = http.send(request(path).header("Authorization", "Bearer $token").GET().build(), HttpResponse.BodyHandlers.ofString())
        check(r.statusCode() == 200) { "GET $path: ${r.statusCode()} ${r.body()}" }
        return r.body()
    }

    fun post(path: String, json: String, auth: Boolean = true): String {
        val b = request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
        if (auth) b.header("Authorization", "Bearer $token")
        val r = http.send(b.build(), HttpResponse.BodyHandlers.ofString())
        check(r.statusCode() in 200..299) { "POST $path: ${r.statusCode()} ${r.body()}" }
        return r.body()
    }

    /** Rejects the ledger entry of report [reportId] with [reason]. */
    fun reject(reportId: String, reason: String) {
        val entry = field(get("/api/v1/reports/$reportId"), "entry_id") ?: error("report $reportId has no entry")
        post("/api/v1/ledger/$entry/reject", """{"reason":"$reason"}""")
    }

    companion object {
        /** The string value of the first `"name": "…"` in [json] (enough for ids and tokens). */
        fun field(json: String, name: String): String? =
            Regex("\"${Regex.escape(name)}\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)

        /** The enterprise union officer of E001 in the demo district. */
        fun e001() = Officer("union.e001", "demo-e001-2026")

        /** The server's OpenAPI document, as text. */
        fun openApi(): String {
            val r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(Fixtures.server + "/api/openapi.json")).GET().build(),
                HttpResponse.BodyHandlers.ofString(),
            )
            check(r.statusCode() == 200)
            return r.body()
        }
    }
}
