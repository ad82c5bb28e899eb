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
    fn utf8_bom_and_cp1252() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), (Cow::Borrowed("abc"), false));
        let (text, fallback) = decode(b"Caf\xe9 \x80 5");
        assert_eq!(text, "Café € 5");
        assert!(fallback);
    }
}
