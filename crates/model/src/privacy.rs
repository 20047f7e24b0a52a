//! Free text from phones made fit to store (自由文本脱敏与清理). Personal data is kept out
//! (个人信息脱敏): a worker who types their mobile number
//! into a report's note or names their phone "王师傅 139…" would otherwise put it in front of
//! their enterprise — and an anonymous report must stay anonymous. The server masks mainland
//! mobile numbers the way Chinese services print them (`139****5678`) before it stores text
//! from phones; the worker's own phone keeps what they typed.
//!
//! A mobile number here is `1[3-9]` and nine more digits — ASCII or full-width (a Chinese
//! keyboard's `１３９…`) — optionally with `+86` in front and with spaces or hyphens between
//! the 3-4-4 groups (`139 1234 5678`, `139-1234-5678`), not part of a longer run of digits (an
//! order number is left alone).

/// Free text from a phone as the server stores it: mobile numbers masked
/// ([`mask_phone_numbers`]), and characters that only serve to deceive a reader removed —
/// control characters other than line breaks and tabs (a NUL, an escape sequence for a
/// terminal reading the log) and the bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) that make text display in an order other than the one stored.
///
/// ```
/// use hazardsnap_model::privacy::stored_text;
/// assert_eq!(stored_text("阀门\u{202E}漏气\u{0}，电话13912345678\n二楼"), "阀门漏气，电话139****5678\n二楼");
/// ```
pub fn stored_text(text: &str) -> String {
    let clean: String = text.chars().filter(|&c| !deceiving(c)).collect();
    mask_phone_numbers(&clean)
}

/// A control character other than a line break or a tab, or a bidirectional override or
/// isolate.
fn deceiving(c: char) -> bool {
    let control = c.is_control() && c != '\n' && c != '\t';
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    control || bidi
}

/// How many digits a mainland mobile number has.
const DIGITS: usize = 11;

/// `text` with every mainland mobile number masked to its first three and last four digits.
///
/// ```
/// use hazardsnap_model::privacy::mask_phone_numbers;
/// assert_eq!(mask_phone_numbers("联系 13912345678"), "联系 139****5678");
/// assert_eq!(mask_phone_numbers("+86 139-1234-5678 王"), "+86 139****5678 王");
/// assert_eq!(mask_phone_numbers("工单 2139123456789"), "工单 2139123456789");
/// ```
pub fn mask_phone_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = digit(chars[i]) == Some(1)
            && (i == 0 || digit(chars[i - 1]).is_none() || after_country_code(&chars, i))
            && chars
                .get(i + 1)
                .and_then(|c| digit(*c))
                .is_some_and(|d| d >= 3);
        if starts && let Some((end, digits)) = number_at(&chars, i) {
            out.extend(&digits[..3]);
            out.push_str("****");
            out.extend(&digits[7..]);
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether `chars[..i]` ends in the country code `86` standing alone (`+86`, `86` after a
/// non-digit or at the start).
fn after_country_code(chars: &[char], i: usize) -> bool {
    i >= 2
        && digit(chars[i - 2]) == Some(8)
        && digit(chars[i - 1]) == Some(6)
        && (i == 2 || digit(chars[i - 3]).is_none())
}

/// The value of an ASCII or full-width decimal digit.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// The mobile number starting at `start`: where it ends and its eleven digits.
fn number_at(chars: &[char], start: usize) -> Option<(usize, Vec<char>)> {
    let mut digits = Vec::with_capacity(DIGITS);
    let mut i = start;
    while i < chars.len() && digits.len() < DIGITS {
        let c = chars[i];
        if digit(c).is_some() {
            digits.push(c);
        } else if (c == ' ' || c == '-')
            && matches!(digits.len(), 3 | 7)
            && chars.get(i + 1).is_some_and(|n| digit(*n).is_some())
        {
            // A separator only between the 3-4-4 groups.
        } else {
            return None;
        }
        i += 1;
    }
    let followed_by_digit = chars.get(i).is_some_and(|c| digit(*c).is_some());
    (digits.len() == DIGITS && !followed_by_digit).then_some((i, digits))
}

#[cfg(test)]
mod tests {
    use super::mask_phone_numbers as m;

    #[test]
    fn masks_mobile_numbers_in_every_usual_spelling() {
        assert_eq!(m("13912345678"), "139****5678");
        assert_eq!(m("电话13912345678，谢谢"), "电话139****5678，谢谢");
        assert_eq!(m("tel:+8613912345678"), "tel:+86139****5678");
        assert_eq!(m("8613912345678"), "86139****5678");
        assert_eq!(m("139 1234 5678"), "139****5678");
        assert_eq!(
            m("139-1234-5678 或 158-0000-1111"),
            "139****5678 或 158****1111"
        );
        assert_eq!(m("王师傅 18600001111 的手机"), "王师傅 186****1111 的手机");
        assert_eq!(m("139-12345678"), "139****5678");
        assert_eq!(m("手机１３９１２３４５６７８"), "手机１３９****５６７８");
    }

    #[test]
    fn leaves_other_numbers_alone() {
        for s in [
            "阀门编号 12345678901",
            "订单 213912345678",
            "139123456789",
            "压力 1.3912345678",
            "0533-1234567",
            "139--1234-5678",
            "",
            "没有号码",
        ] {
            assert_eq!(m(s), s);
        }
    }

    #[test]
    fn stored_text_drops_controls_and_bidi_overrides_and_keeps_lines() {
        use super::stored_text as st;
        assert_eq!(st("a\u{0}b\u{1b}[31mc"), "ab[31mc");
        assert_eq!(st("\u{2066}x\u{2069}\u{202D}y"), "xy");
        assert_eq!(st("一\n二\t三\r\n"), "一\n二\t三\n");
        assert_eq!(st("普通文字 normal text"), "普通文字 normal text");
    }

    #[test]
    fn never_panics_and_is_idempotent() {
        for s in [
            "1",
            "13",
            "1391234567",
            "1391234567８",
            "139 ",
            "1-3",
            "139-",
        ] {
            let once = m(s);
            assert_eq!(m(&once), once);
        }
        let once = m("13912345678 13912345678");
        assert_eq!(once, "139****5678 139****5678");
        assert_eq!(m(&once), once);
    }
}
