/**
 * Bilingual texts (双语文本): every string a worker reads is Simplified Chinese first, English
 * second. The screens show [Text.zh] or [Text.en] by the phone's language; messages that travel
 * (errors from the core) already carry both as `中文 / English`.
 */
package org.hazardsnap.logic

/** The two languages of the apps. */
enum class Lang { ZH, EN }

/** One user-facing text in both languages. */
data class Text(val zh: String, val en: String) {
    /** The text in [lang]. */
    operator fun get(lang: Lang): String = if (lang == Lang.ZH) zh else en

    /** Both, Chinese first, the way the core writes its messages. */
    fun both(): String = if (zh == en) zh else "$zh / $en"

    override fun toString(): String = both()

    companion object {
        /**
         * A message that already holds both languages as `中文 / English` (the core's errors):
         * split at the first ` / `, or the same text twice when there is none.
         */
        fun ofBoth(message: String): Text {
            val cut = message.indexOf(" / ")
            return if (cut < 0) Text(message, message) else Text(message.substring(0, cut), message.substring(cut + 3))
        }
    }
}
