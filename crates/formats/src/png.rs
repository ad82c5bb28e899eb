//! A minimal PNG writer: 8-bit grayscale, no filtering, zlib from
//! miniz_oxide. Enough for QR codes in e-mails.

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for part in parts {
        for &byte in *part {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

fn encode(width: u32, height: u32, bit_depth: u8, raw: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[bit_depth, 0, 0, 0, 0]); // grayscale
    chunk(&mut out, b"IHDR", &header);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(raw, 1),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Encodes `pixels` (one byte per pixel, rows top to bottom) as an 8-bit
/// grayscale PNG.
pub fn grayscale(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    assert_eq!(pixels.len(), (width * height) as usize, "pixel count");
    let mut raw = Vec::with_capacity(pixels.len() + height as usize);
    for row in pixels.chunks(width as usize) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    encode(width, height, 8, &raw)
}

/// Encodes black (`true`) and white pixels as a 1-bit PNG: an eighth of
/// the data of [`grayscale`], which keeps QR codes in e-mails small and fast.
pub fn black_and_white(width: u32, height: u32, black: &[bool]) -> Vec<u8> {
    assert_eq!(black.len(), (width * height) as usize, "pixel count");
    let row_bytes = (width as usize).div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * height as usize);
    for row in black.chunks(width as usize) {
        raw.push(0); // filter: none
        for byte in row.chunks(8) {
            let mut bits = 0u8;
            for (i, &is_black) in byte.iter().enumerate() {
                if !is_black {
                    bits |= 0x80 >> i; // 1 is white in grayscale
                }
            }
            if byte.len() < 8 {
                bits |= 0xffu8 >> byte.len();
            }
            raw.push(bits);
        }
    }
    encode(width, height, 1, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference() {
        // The CRC of an empty IEND chunk is fixed by the spec.
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
    }

    #[test]
    fn one_bit_rows_are_packed() {
        let png = black_and_white(3, 1, &[true, false, true]);
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        let data = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len]).unwrap();
        // filter byte, then 0b010 for black-white-black, padded with white.
        assert_eq!(data, vec![0, 0b0101_1111]);
        assert_eq!(png[24], 1, "bit depth 1");
    }

    #[test]
    fn round_trips_through_inflate() {
        let png = grayscale(2, 2, &[0, 255, 255, 0]);
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let data = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len]).unwrap();
        assert_eq!(data, vec![0, 0, 255, 0, 255, 0]);
    }
}
