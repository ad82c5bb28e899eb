//! The EPC QR code ("GiroCode", EPC069-12 version 002): a SEPA credit
//! transfer in a QR code that banking apps scan, so the customer pays the
//! right amount to the right account with the right reference.
//!
//! [`payload`] builds the text; [`QrMatrix`] turns it into modules (level M
//! error correction, as the standard asks) that the PNG, SVG and PDF writers
//! draw.

use std::fmt;

/// What the QR code asks the customer's bank to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer<'a> {
    pub beneficiary: &'a str,
    pub iban: &'a str,
    pub bic: Option<&'a str>,
    /// Euro cents; must be 1 to 99,999,999,999.
    pub amount_minor: i64,
    /// An ISO 11649 RF creditor reference goes in the structured field; any
    /// other reference (a Dutch betalingskenmerk, invoice numbers) in the
    /// remittance text.
    pub reference: &'a str,
}

/// Why a transfer cannot be put in an EPC QR code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpcError(pub String);

impl fmt::Display for EpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot make an EPC QR code: {}", self.0)
    }
}

impl std::error::Error for EpcError {}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

/// The EPC QR payload (UTF-8, lines separated by LF).
pub fn payload(transfer: &Transfer<'_>) -> Result<String, EpcError> {
    if !(1..=99_999_999_999).contains(&transfer.amount_minor) {
        return Err(EpcError(format!(
            "amount {} cents is outside 0.01 to 999999999.99",
            transfer.amount_minor
        )));
    }
    let iban: String = transfer
        .iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if iban.len() < 15 || iban.len() > 34 {
        return Err(EpcError(format!("'{}' is not an IBAN", transfer.iban)));
    }
    let reference = transfer.reference.trim();
    let structured = reference.len() <= 25
        && reference
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("RF"));
    let (structured, unstructured) = if structured {
        (reference.to_string(), String::new())
    } else {
        (String::new(), truncate(reference, 140))
    };
    let amount = format!(
        "EUR{}.{:02}",
        transfer.amount_minor / 100,
        transfer.amount_minor % 100
    );
    let lines = [
        "BCD".to_string(),
        "002".to_string(),
        "1".to_string(),
        "SCT".to_string(),
        transfer.bic.unwrap_or("").trim().to_string(),
        truncate(transfer.beneficiary.trim(), 70),
        iban,
        amount,
        String::new(),
        structured,
        unstructured,
    ];
    let text = lines.join("\n");
    if text.len() > 331 {
        return Err(EpcError("the payload is longer than 331 bytes".into()));
    }
    Ok(text)
}

/// A QR code as a square of dark (true) and light modules, without the
/// quiet zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrMatrix {
    pub width: usize,
    pub modules: Vec<bool>,
}

impl QrMatrix {
    /// The QR code for `text` at error correction level M.
    ///
    /// The `qrcode` crate encodes, adds error correction and places the
    /// modules; the mask is chosen here, with the standard's penalty rules
    /// (ISO/IEC 18004 §7.8.3) computed on a plain grid — the same choice as
    /// the crate's own, at a fraction of its cost (it dominated a dunning
    /// run that puts a QR code in every message).
    pub fn encode(text: &str) -> Result<QrMatrix, EpcError> {
        use qrcode::canvas::{Canvas, MaskPattern};
        let err = |e: qrcode::types::QrError| EpcError(e.to_string());
        let level = qrcode::EcLevel::M;
        let bits = qrcode::bits::encode_auto(text.as_bytes(), level).map_err(err)?;
        let version = bits.version();
        let (data, ec) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), version, level).map_err(err)?;
        let mut canvas = Canvas::new(version, level);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let width = version.width() as usize;
        let masks = [
            MaskPattern::Checkerboard,
            MaskPattern::HorizontalLines,
            MaskPattern::VerticalLines,
            MaskPattern::DiagonalLines,
            MaskPattern::LargeCheckerboard,
            MaskPattern::Fields,
            MaskPattern::Diamonds,
            MaskPattern::Meadow,
        ];
        let modules = masks
            .into_iter()
            .map(|mask| {
                let mut masked = canvas.clone();
                masked.apply_mask(mask);
                masked
                    .into_colors()
                    .into_iter()
                    .map(|c| c == qrcode::Color::Dark)
                    .collect::<Vec<bool>>()
            })
            .min_by_key(|modules| penalty(modules, width))
            .expect("eight masks");
        Ok(QrMatrix { width, modules })
    }

    pub fn dark(&self, x: usize, y: usize) -> bool {
        self.modules[y * self.width + x]
    }

    /// An SVG image with a quiet zone of four modules, `size` pixels wide.
    pub fn to_svg(&self, size: u32) -> String {
        let total = self.width + 8;
        let mut path = String::new();
        for (x, y, run) in self.dark_runs() {
            path.push_str(&format!("M{} {}h{run}v1h-{run}z", x + 4, y + 4));
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" \
             viewBox=\"0 0 {total} {total}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{total}\" height=\"{total}\" fill=\"#fff\"/>\
             <path d=\"{path}\" fill=\"#000\"/></svg>"
        )
    }

    /// A black-and-white PNG, `scale` pixels per module, with a quiet zone
    /// of four modules.
    pub fn to_png(&self, scale: usize) -> Vec<u8> {
        let side = (self.width + 8) * scale;
        let mut pixels = vec![false; side * side];
        for y in 0..self.width {
            for x in 0..self.width {
                if self.dark(x, y) {
                    for dy in 0..scale {
                        let row = (y + 4) * scale + dy;
                        let start = row * side + (x + 4) * scale;
                        pixels[start..start + scale].fill(true);
                    }
                }
            }
        }
        crate::png::black_and_white(side as u32, side as u32, &pixels)
    }

    /// Runs of dark modules per row: (x, y, length), for drawing with few
    /// rectangles.
    pub fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.dark(x, y) {
                    let start = x;
                    while x < self.width && self.dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// The mask penalty of a symbol (rules N1 to N4). Called eight times per
/// code, so it is the hot spot of writing letters: symbols up to 64
/// modules wide (what payment QR codes are) are scored 64 modules at a time
/// on bit rows; wider ones cell by cell.
fn penalty(modules: &[bool], width: usize) -> u32 {
    if width <= 64 {
        penalty_bits(modules, width)
    } else {
        penalty_cells(modules, width)
    }
}

/// The penalty cell by cell, as the standard words it (and the rule
/// [`penalty_bits`] is tested against).
fn penalty_cells(modules: &[bool], width: usize) -> u32 {
    let at = |x: usize, y: usize| modules[y * width + x];
    let mut score = 0u32;
    for horizontal in [true, false] {
        let cell = |i: usize, j: usize| if horizontal { at(j, i) } else { at(i, j) };
        for i in 0..width {
            // N1: five or more in a row of one color.
            let mut run = 1u32;
            for j in 1..width {
                if cell(i, j) == cell(i, j - 1) {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // N3: a finder-like 1:1:3:1:1 pattern with four light modules on
            // at least one side (outside the symbol counts as light).
            for j in 0..width.saturating_sub(6) {
                let pattern = [true, false, true, true, true, false, true];
                if (0..7).all(|k| cell(i, j + k) == pattern[k]) {
                    let dark_before = (j.saturating_sub(4)..j).any(|k| cell(i, k));
                    let dark_after = (j + 7..(j + 11).min(width)).any(|k| cell(i, k));
                    if !dark_before || !dark_after {
                        score += 40;
                    }
                }
            }
        }
    }
    // N2: 2×2 blocks of one color.
    for y in 0..width - 1 {
        for x in 0..width - 1 {
            let c = at(x, y);
            if c == at(x + 1, y) && c == at(x, y + 1) && c == at(x + 1, y + 1) {
                score += 3;
            }
        }
    }
    score + balance_penalty(modules)
}

/// N4: how far the share of dark modules is from half.
fn balance_penalty(modules: &[bool]) -> u32 {
    let dark = modules.iter().filter(|m| **m).count();
    let ratio = (dark * 200 / modules.len()) as i64;
    (ratio - 100).unsigned_abs() as u32
}

/// [`penalty`] on bit rows: bit `j` of a line is module `j` (1 = dark).
fn penalty_bits(modules: &[bool], width: usize) -> u32 {
    let mut rows = vec![0u64; width];
    let mut columns = vec![0u64; width];
    for y in 0..width {
        for x in 0..width {
            if modules[y * width + x] {
                rows[y] |= 1 << x;
                columns[x] |= 1 << y;
            }
        }
    }
    let all = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    // Bit j set when modules j..j+n-1 all lie inside the line.
    let fits = |n: usize| all >> (n - 1);
    let mut score = 0u32;
    for line in rows.iter().chain(&columns) {
        let (dark, light) = (*line, !*line & all);
        // N1: a run of n >= 5 scores n - 2: (n - 4) five-wide windows, plus 2
        // for the run's first window.
        let five = |c: u64| c & (c >> 1) & (c >> 2) & (c >> 3) & (c >> 4) & fits(5);
        let windows = five(dark) | five(light);
        score += windows.count_ones() + 2 * (windows & !(windows << 1)).count_ones();
        // N3: 1011101 (the same both ways) with four light modules before
        // or after it; outside the line counts as light.
        let finder = dark
            & !(dark >> 1)
            & (dark >> 2)
            & (dark >> 3)
            & (dark >> 4)
            & !(dark >> 5)
            & (dark >> 6)
            & fits(7);
        let light_before = !((dark << 1) | (dark << 2) | (dark << 3) | (dark << 4));
        let light_after = !((dark >> 7) | (dark >> 8) | (dark >> 9) | (dark >> 10));
        score += 40 * (finder & (light_before | light_after)).count_ones();
    }
    // N2: 2×2 blocks of one color.
    for pair in rows.windows(2) {
        let (top, bottom) = (pair[0], pair[1]);
        let same = !(top ^ (top >> 1)) & !(bottom ^ (bottom >> 1)) & !(top ^ bottom) & fits(2);
        score += 3 * same.count_ones();
    }
    score + balance_penalty(modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_fast_penalty_equals_the_standard_one(
            width in 7usize..=64,
            seed in proptest::prelude::any::<u64>(),
            density in 1u64..8,
        ) {
            // Patterned noise, so finder-like runs and margins occur.
            let mut state = seed | 1;
            let modules: Vec<bool> = (0..width * width)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % 8 < density
                })
                .collect();
            proptest::prop_assert_eq!(penalty_bits(&modules, width), penalty_cells(&modules, width));
        }
    }

    #[test]
    fn mask_choice_matches_the_qrcode_crate() {
        for text in [
            "BCD\n002\n1\nSCT\nABNANL2A\nTegoed Demo B.V.\nNL91ABNA0417164300\nEUR1234.56\n\nRF18539007547034\n",
            "BCD\n002\n1\nSCT\n\nX\nNL91ABNA0417164300\nEUR1.00\n\n\nKlant C000013 2026-0002764 2026-0002929",
            "hello",
        ] {
            let ours = QrMatrix::encode(text).unwrap();
            let theirs =
                qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
            let theirs: Vec<bool> = theirs
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect();
            assert_eq!(ours.modules, theirs, "{text}");
        }
    }

    #[test]
    fn payload_follows_the_epc_layout() {
        let transfer = Transfer {
            beneficiary: "Tegoed Demo B.V.",
            iban: "NL91 ABNA 0417 1643 00",
            bic: Some("ABNANL2A"),
            amount_minor: 123_456,
            reference: "RF18539007547034",
        };
        let text = payload(&transfer).unwrap();
        assert_eq!(
            text,
            "BCD\n002\n1\nSCT\nABNANL2A\nTegoed Demo B.V.\nNL91ABNA0417164300\nEUR1234.56\n\nRF18539007547034\n"
        );
        let kenmerk = Transfer {
            reference: "5000056789012345",
            ..transfer.clone()
        };
        assert!(payload(&kenmerk).unwrap().ends_with("\n\n5000056789012345"));
        let zero = Transfer {
            amount_minor: 0,
            ..transfer
        };
        assert!(payload(&zero).is_err());
    }

    #[test]
    fn qr_matrix_has_finder_patterns() {
        let matrix =
            QrMatrix::encode("BCD\n002\n1\nSCT\n\nX\nNL91ABNA0417164300\nEUR1.00\n\n\nABC")
                .unwrap();
        assert_eq!(matrix.modules.len(), matrix.width * matrix.width);
        // The top-left finder pattern: a dark 7×7 ring.
        assert!((0..7).all(|i| matrix.dark(i, 0) && matrix.dark(0, i)));
        assert!(!matrix.dark(1, 1));
        assert!(matrix.dark(3, 3));
        let png = matrix.to_png(2);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(matrix.to_svg(120).starts_with("<svg"));
    }
}
