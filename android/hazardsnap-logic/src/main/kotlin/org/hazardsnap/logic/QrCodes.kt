/**
 * What the phone's QR scanner reads (二维码): an enrollment code from the enterprise union, or a
 * site point (现场关键点) marked on the shop floor.
 *
 * The formats the union prints:
 * - enrollment: `hazardsnap://enroll?server=<URL, percent-encoded>&code=<CODE>`;
 * - site point: `hazardsnap://site/<CODE>`, or the bare code itself (`E001-P01`), as older
 *   labels carry.
 *
 * Codes are the roster's codes: letters, digits, `-`, `_`, `.` (`crates/model/src/roster.rs`).
 */
package org.hazardsnap.logic

import java.net.URI
import java.net.URLDecoder
import java.nio.charset.StandardCharsets

/** One scanned code, understood. */
sealed interface QrCode {
    /** An enrollment: where the server is and the enterprise's code. */
    data class Enrollment(val serverUrl: String, val code: String) : QrCode

    /** A site point's code. */
    data class SitePoint(val code: String) : QrCode

    /** Not one of ours: [reason] says what to tell the worker. */
    data class Unknown(val reason: Text) : QrCode
}

/** Reads scanned QR codes. */
object QrCodes {
    private const val MAX_CODE = 64

    /** Whether [s] is a roster code. */
    fun isCode(s: String): Boolean =
        s.isNotEmpty() && s.length <= MAX_CODE && s.all { it.isLetterOrDigitAscii() || it == '-' || it == '_' || it == '.' }

    private fun Char.isLetterOrDigitAscii() = this in 'a'..'z' || this in 'A'..'Z' || this in '0'..'9'

    private val NOT_OURS = Text("这不是隐患随手拍的二维码", "This QR code is not one of hazardsnap's")

    /** Understands [raw], the text of a scanned QR code. */
    fun parse(raw: String): QrCode {
        val s = raw.trim()
        if (isCode(s)) return QrCode.SitePoint(s)
        val uri = try {
            URI(s)
        } catch (_: Exception) {
            return QrCode.Unknown(NOT_OURS)
        }
        if (!uri.scheme.equals("hazardsnap", ignoreCase = true)) return QrCode.Unknown(NOT_OURS)
        return when (uri.host?.lowercase()) {
            "site" -> {
                val code = uri.path.orEmpty().trim('/')
                if (isCode(code)) QrCode.SitePoint(code) else QrCode.Unknown(Text("点位编码无效", "The site point code is not valid"))
            }
            "enroll" -> enrollment(uri.rawQuery.orEmpty())
            else -> QrCode.Unknown(NOT_OURS)
        }
    }

    private fun enrollment(query: String): QrCode {
        val params = query.split('&').filter { it.isNotEmpty() }.associate { part ->
            val eq = part.indexOf('=')
            val key = if (eq < 0) part else part.substring(0, eq)
            val value = if (eq < 0) "" else part.substring(eq + 1)
            key to URLDecoder.decode(value, StandardCharsets.UTF_8)
        }
        val server = params["server"]?.trim().orEmpty().trimEnd('/')
        val code = params["code"]?.trim().orEmpty()
        if (!(server.startsWith("https://") || server.startsWith("http://"))) {
            return QrCode.Unknown(Text("注册码缺少服务器地址", "The enrollment code has no server address"))
        }
        if (!isCode(code)) return QrCode.Unknown(Text("注册码无效", "The enrollment code is not valid"))
        return QrCode.Enrollment(server, code)
    }

    /** The enrollment QR text for [serverUrl] and [code] (what the union prints). */
    fun enrollmentText(serverUrl: String, code: String): String =
        "hazardsnap://enroll?server=" + java.net.URLEncoder.encode(serverUrl, StandardCharsets.UTF_8) + "&code=" + code
}
