//! A small PDF writer for letters: A4 pages with text in the standard
//! Helvetica fonts (WinAnsi encoding, so Dutch accents and the euro sign
//! print), lines and filled rectangles (enough for a table and a QR code).
//!
//! Output is deterministic: the same calls give the same bytes, which keeps
//! letters reproducible and testable. No fonts are embedded; every PDF
//! reader has Helvetica.

use std::fmt::Write as _;

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// Regular or bold Helvetica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from the
/// standard AFM files.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The WinAnsi byte for a character, and the ASCII character whose width it
/// has (accented letters are as wide as their base letter).
fn win_ansi(c: char) -> (u8, char) {
    match c {
        ' '..='~' => (c as u8, c),
        '€' => (0x80, '0'),
        '‘' => (0x91, '\''),
        '’' => (0x92, '\''),
        '“' => (0x93, '"'),
        '”' => (0x94, '"'),
        '•' => (0x95, '-'),
        '–' => (0x96, '-'),
        '—' => (0x97, 'M'),
        '…' => (0x85, 'M'),
        '\u{a0}' => (0xa0, ' '),
        '\u{a1}'..='\u{ff}' => {
            let base = match c {
                'À'..='Å' => 'A',
                'Ç' => 'C',
                'È'..='Ë' => 'E',
                'Ì'..='Ï' => 'I',
                'Ñ' => 'N',
                'Ò'..='Ö' | 'Ø' => 'O',
                'Ù'..='Ü' => 'U',
                'Ý' => 'Y',
                'à'..='å' => 'a',
                'ç' => 'c',
                'è'..='ë' => 'e',
                'ì'..='ï' => 'i',
                'ñ' => 'n',
                'ò'..='ö' | 'ø' => 'o',
                'ù'..='ü' => 'u',
                'ý' | 'ÿ' => 'y',
                '×' => '+',
                _ => 'o',
            };
            (c as u32 as u8, base)
        }
        _ => (b'?', '?'),
    }
}

/// The width of `text` in points at `size`.
pub fn text_width(text: &str, font: Font, size: f32) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = text
        .chars()
        .map(|c| u32::from(table[(win_ansi(c).1 as usize) - 32]))
        .sum();
    units as f32 * size / 1000.0
}

/// Splits `text` into lines no wider than `width` points.
pub fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph_line in text.lines() {
        let mut line = String::new();
        // Only plain spaces break a line: a no-break space keeps "€ 12" whole.
        for word in paragraph_line.split([' ', '\t']).filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, font, size) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

/// Appends `value` with two decimals (PDF numbers), without float
/// formatting machinery: letters draw thousands of numbers.
fn num(out: &mut String, value: f32) {
    let hundredths = (value * 100.0).round() as i64;
    if hundredths < 0 {
        out.push('-');
    }
    let abs = hundredths.unsigned_abs();
    let _ = write!(out, "{}.{:02}", abs / 100, abs % 100);
}

/// One page being drawn; coordinates in points from the bottom-left corner.
#[derive(Default)]
pub struct Page {
    content: String,
}

impl Page {
    pub fn text(&mut self, x: f32, y: f32, size: f32, font: Font, text: &str) {
        let name = match font {
            Font::Regular => "F1",
            Font::Bold => "F2",
        };
        let mut escaped = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            let (byte, _) = win_ansi(c);
            match byte {
                b'(' | b')' | b'\\' => {
                    escaped.push('\\');
                    escaped.push(byte as char);
                }
                0x20..=0x7e => escaped.push(byte as char),
                _ => {
                    let _ = write!(escaped, "\\{byte:03o}");
                }
            }
        }
        let _ = write!(self.content, "BT /{name} ");
        num(&mut self.content, size);
        self.content.push_str(" Tf ");
        num(&mut self.content, x);
        self.content.push(' ');
        num(&mut self.content, y);
        let _ = writeln!(self.content, " Td ({escaped}) Tj ET");
    }

    /// Text ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, font: Font, text: &str) {
        let x = right - text_width(text, font, size);
        self.text(x, y, size, font, text);
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        for (value, op) in [
            (width, " w "),
            (x1, " "),
            (y1, " m "),
            (x2, " "),
            (y2, " l S\n"),
        ] {
            num(&mut self.content, value);
            self.content.push_str(op);
        }
    }

    /// Filled rectangles `(x, y, w, h)` in one gray level (0 black, 1 white).
    pub fn fill_rects(&mut self, rects: &[(f32, f32, f32, f32)], gray: f32) {
        num(&mut self.content, gray);
        self.content.push_str(" g\n");
        for (x, y, w, h) in rects {
            for (value, op) in [(*x, " "), (*y, " "), (*w, " "), (*h, " re\n")] {
                num(&mut self.content, value);
                self.content.push_str(op);
            }
        }
        self.content.push_str("f 0 g\n");
    }

    /// A filled rectangle in a gray level (0 black, 1 white).
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.fill_rects(&[(x, y, w, h)], gray);
    }
}

/// A document of pages.
#[derive(Default)]
pub struct Pdf {
    pages: Vec<Page>,
    title: String,
}

impl Pdf {
    pub fn new(title: &str) -> Pdf {
        Pdf {
            pages: Vec::new(),
            title: title.to_string(),
        }
    }

    /// Starts a new page and returns it.
    pub fn page(&mut self) -> &mut Page {
        self.pages.push(Page::default());
        self.pages.last_mut().expect("just pushed")
    }

    /// The page being drawn (a first one is started when there is none).
    pub fn current_page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        self.pages.last_mut().expect("at least one page")
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The finished file.
    pub fn finish(self) -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets: Vec<usize> = Vec::new();
        let n_pages = self.pages.len().max(1);
        // Objects: 1 catalog, 2 pages, 3 F1, 4 F2, 5 info, then per page
        // (page, content).
        let mut objects: Vec<Vec<u8>> = Vec::new();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
                kids.join(" ")
            )
            .into_bytes(),
        );
        objects.push(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_vec(),
        );
        objects.push(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
                .to_vec(),
        );
        // Document information strings are not WinAnsi: UTF-16BE with a BOM.
        let mut title = String::from("FEFF");
        for unit in self.title.encode_utf16() {
            let _ = write!(title, "{unit:04X}");
        }
        objects.push(format!("<< /Producer (Tegoed) /Title <{title}> >>").into_bytes());
        let mut pages = self.pages;
        if pages.is_empty() {
            pages.push(Page::default());
        }
        for (i, page) in pages.iter().enumerate() {
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    7 + 2 * i
                )
                .into_bytes(),
            );
            // Content streams are deflated: a letter shrinks about fourfold.
            let deflated = miniz_oxide::deflate::compress_to_vec_zlib(page.content.as_bytes(), 3);
            let mut stream = format!(
                "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                deflated.len()
            )
            .into_bytes();
            stream.extend_from_slice(&deflated);
            stream.extend_from_slice(b"\nendstream");
            objects.push(stream);
        }
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(object);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first page's content stream, inflated.
    fn page_content(pdf: &[u8]) -> String {
        let start = pdf.windows(7).position(|w| w == b"stream\n").unwrap() + 7;
        let end = start
            + pdf[start..]
                .windows(9)
                .position(|w| w == b"endstream")
                .unwrap();
        String::from_utf8(miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[start..end]).unwrap())
            .unwrap()
    }

    #[test]
    fn numbers_have_two_decimals() {
        let mut out = String::new();
        num(&mut out, -3.456);
        out.push(' ');
        num(&mut out, 0.05);
        assert_eq!(out, "-3.46 0.05");
    }

    #[test]
    fn a_page_with_text_is_a_valid_skeleton() {
        let mut pdf = Pdf::new("Herinnering (test)");
        let page = pdf.page();
        page.text(
            56.0,
            780.0,
            12.0,
            Font::Bold,
            "Betaling van € 1.234,56 – café",
        );
        page.fill_rect(400.0, 400.0, 10.0, 10.0, 0.0);
        let bytes = pdf.finish();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.ends_with("%%EOF\n"));
        assert!(text.contains("/Count 1"));
        // The euro sign and the accent are WinAnsi octal escapes, in a
        // deflated content stream.
        let content = page_content(&bytes);
        assert!(
            content.contains("(Betaling van \\200 1.234,56 \\226 caf\\351) Tj"),
            "{content}"
        );
        assert!(
            content.contains("BT /F2 12.00 Tf 56.00 780.00 Td"),
            "{content}"
        );
        assert!(text.contains("/Title <FEFF0048"), "UTF-16 title");
        // The xref offsets (in bytes) point at the objects.
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(bytes[xref_at..].starts_with(b"xref"));
        let table = String::from_utf8(bytes[xref_at..].to_vec()).unwrap();
        let first = table.lines().nth(3).unwrap();
        let offset: usize = first[..10].parse().unwrap();
        assert!(bytes[offset..].starts_with(b"1 0 obj"));
    }

    #[test]
    fn wraps_to_the_width() {
        let lines = wrap(
            "een twee drie vier vijf zes zeven acht negen tien",
            Font::Regular,
            10.0,
            100.0,
        );
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| text_width(l, Font::Regular, 10.0) <= 100.0)
        );
        assert_eq!(text_width("0", Font::Regular, 10.0), 5.56);
    }
}
