//! Turning the bytes of a text file into UTF-8.
//!
//! Dutch accounting packages still export Windows-1252 now and then (names
//! such as "Café De Zwaan"). A file that is not valid UTF-8 is decoded as
//! Windows-1252 and the caller gets a warning, instead of an error on the
//! first accented letter.

use std::borrow::Cow;

/// Windows-1252 characters for bytes 0x80–0x9F (the rest is Latin-1).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The most characters an error message keeps (see [`shorten`]).
pub const MAX_MESSAGE: usize = 400;

/// The most characters of a quoted value an error keeps.
pub const MAX_VALUE: usize = 120;

/// `text` itself when it has at most `max` characters; else its start and
/// its end with `…` between. Errors quote what they could not read, and a
/// hostile file can make that a megabyte: shortened, the message stays
/// readable and keeps its explanation at the end.
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let head = max * 2 / 3;
    let tail = max.saturating_sub(head + 1);
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    Cow::Owned(out)
}

/// Decodes `bytes` as UTF-8 (dropping a byte-order mark), or, when that
/// fails, as Windows-1252. The flag says whether the fallback was used.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), false),
        Err(_) => {
            let text: String = bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    _ => char::from(b),
                })
                .collect();
            (Cow::Owned(text), true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_start_and_end() {
        assert_eq!(shorten("short", 10), "short");
        let long = format!("invalid '{}': expected a number", "9".repeat(10_000));
        let short = shorten(&long, 60);
        assert_eq!(short.chars().count(), 60);
        assert!(short.starts_with("invalid '999"), "{short}");
        assert!(short.ends_with(": expected a number"), "{short}");
        assert!(short.contains('…'));
        assert_eq!(shorten("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn utf8_bom_and_cp1252() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), (Cow::Borrowed("abc"), false));
        let (text, fallback) = decode(b"Caf\xe9 \x80 5");
        assert_eq!(text, "Café € 5");
        assert!(fallback);
    }
}
