//! Identifiers of companies and people: KvK number, VAT number, e-mail
//! address and SBI industry code. Each is parsed once at the edge; holding one
//! means it has the right shape.

use std::fmt;

/// Why a customer attribute is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} '{}': {}",
            self.field, self.input, self.reason
        )
    }
}

impl std::error::Error for FieldError {}

fn field_error(field: &'static str, input: &str, reason: &'static str) -> FieldError {
    FieldError {
        field,
        input: input.to_string(),
        reason,
    }
}

/// KvK-nummer: the 8-digit Dutch Chamber of Commerce number.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct KvkNumber(String);

impl KvkNumber {
    pub fn parse(text: &str) -> Result<KvkNumber, FieldError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        if compact.len() != 8 || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(field_error("KvK number", text, "expected 8 digits"));
        }
        Ok(KvkNumber(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// BTW-nummer / VAT identification number. Dutch numbers must read
/// `NL` + 9 digits + `B` + 2 digits; other EU numbers are checked for a
/// country prefix and 2–13 letters or digits.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(text: &str) -> Result<VatNumber, FieldError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        if bytes.len() < 4 || !bytes[..2].iter().all(u8::is_ascii_uppercase) {
            return Err(field_error(
                "VAT number",
                text,
                "expected a country prefix such as NL",
            ));
        }
        if &compact[..2] == "NL" {
            let ok = bytes.len() == 14
                && bytes[2..11].iter().all(u8::is_ascii_digit)
                && bytes[11] == b'B'
                && bytes[12..].iter().all(u8::is_ascii_digit);
            if !ok {
                return Err(field_error(
                    "VAT number",
                    text,
                    "a Dutch VAT number is NL + 9 digits + B + 2 digits",
                ));
            }
        } else if bytes.len() > 15 || !bytes[2..].iter().all(u8::is_ascii_alphanumeric) {
            return Err(field_error(
                "VAT number",
                text,
                "expected a country prefix and 2 to 13 letters or digits",
            ));
        }
        Ok(VatNumber(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address of a plausible shape (`local@domain.tld`, no spaces).
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        let trimmed = text.trim();
        let err = |reason| field_error("email", text, reason);
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("must not contain spaces"));
        }
        let (local, domain) = trimmed.split_once('@').ok_or_else(|| err("missing '@'"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(err("expected exactly one '@' with a name before it"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return Err(err("the domain must look like example.nl"));
        }
        if !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        {
            return Err(err("the domain may hold only letters, digits, '.' and '-'"));
        }
        if trimmed.len() > 254 {
            return Err(err("longer than 254 characters"));
        }
        Ok(Email(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SBI-code: the Dutch industry classification (Standaard Bedrijfsindeling),
/// based on NACE. At least the two-digit division; up to five digits.
#[derive(Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SbiCode(String);

impl SbiCode {
    pub fn parse(text: &str) -> Result<SbiCode, FieldError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        let err = |reason| field_error("SBI code", text, reason);
        if compact.len() < 2 || compact.len() > 5 || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("expected 2 to 5 digits"));
        }
        let code = SbiCode(compact);
        if code.section().is_none() {
            return Err(err("no SBI division with these first two digits"));
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit division.
    pub fn division(&self) -> u8 {
        let b = self.0.as_bytes();
        (b[0] - b'0') * 10 + (b[1] - b'0')
    }

    /// The section letter (A–U) this division belongs to.
    pub fn section(&self) -> Option<SbiSection> {
        SbiSection::of_division(self.division())
    }
}

impl fmt::Display for SbiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An SBI section: the letter-level grouping of industries.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SbiSection(pub char);

impl SbiSection {
    const TABLE: [(u8, u8, char, &'static str, &'static str); 21] = [
        (
            1,
            3,
            'A',
            "Landbouw, bosbouw en visserij",
            "Agriculture, forestry and fishing",
        ),
        (6, 9, 'B', "Delfstoffenwinning", "Mining and quarrying"),
        (10, 33, 'C', "Industrie", "Manufacturing"),
        (35, 35, 'D', "Energievoorziening", "Energy supply"),
        (
            36,
            39,
            'E',
            "Water en afvalbeheer",
            "Water supply and waste management",
        ),
        (41, 43, 'F', "Bouwnijverheid", "Construction"),
        (45, 47, 'G', "Handel", "Wholesale and retail trade"),
        (
            49,
            53,
            'H',
            "Vervoer en opslag",
            "Transportation and storage",
        ),
        (
            55,
            56,
            'I',
            "Logies- en maaltijdverstrekking",
            "Accommodation and food service",
        ),
        (
            58,
            63,
            'J',
            "Informatie en communicatie",
            "Information and communication",
        ),
        (
            64,
            66,
            'K',
            "Financiële dienstverlening",
            "Financial services",
        ),
        (
            68,
            68,
            'L',
            "Verhuur en handel van onroerend goed",
            "Real estate",
        ),
        (
            69,
            75,
            'M',
            "Specialistische zakelijke diensten",
            "Professional and technical services",
        ),
        (
            77,
            82,
            'N',
            "Verhuur en overige zakelijke diensten",
            "Rental and support services",
        ),
        (84, 84, 'O', "Openbaar bestuur", "Public administration"),
        (85, 85, 'P', "Onderwijs", "Education"),
        (
            86,
            88,
            'Q',
            "Gezondheids- en welzijnszorg",
            "Health and social work",
        ),
        (
            90,
            93,
            'R',
            "Cultuur, sport en recreatie",
            "Arts, sports and recreation",
        ),
        (94, 96, 'S', "Overige dienstverlening", "Other services"),
        (97, 98, 'T', "Huishoudens", "Households"),
        (
            99,
            99,
            'U',
            "Extraterritoriale organisaties",
            "Extraterritorial organisations",
        ),
    ];

    pub fn of_division(division: u8) -> Option<SbiSection> {
        Self::TABLE
            .iter()
            .find(|(lo, hi, ..)| (*lo..=*hi).contains(&division))
            .map(|(_, _, letter, ..)| SbiSection(*letter))
    }

    pub fn letter(self) -> char {
        self.0
    }

    /// The section's name in Dutch (`nl`) or English (anything else).
    pub fn name(self, language: &str) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(_, _, letter, ..)| *letter == self.0)
            .map(|(_, _, _, nl, en)| if language == "nl" { *nl } else { *en })
            .unwrap_or("?")
    }
}

impl fmt::Display for SbiSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvk() {
        assert_eq!(KvkNumber::parse("1234 5678").unwrap().as_str(), "12345678");
        assert_eq!(
            KvkNumber::parse("1234567").unwrap_err().to_string(),
            "invalid KvK number '1234567': expected 8 digits"
        );
    }

    #[test]
    fn vat() {
        assert_eq!(
            VatNumber::parse("nl 8123.45.678 B01").unwrap().as_str(),
            "NL812345678B01"
        );
        assert!(VatNumber::parse("NL812345678").is_err());
        assert!(VatNumber::parse("DE123456789").is_ok());
        assert!(VatNumber::parse("123456789").is_err());
    }

    #[test]
    fn email() {
        assert!(Email::parse("jan@bakkerij-devries.nl").is_ok());
        assert!(Email::parse("jan.de.vries+ar@sub.example.co.uk").is_ok());
        for bad in [
            "jan",
            "jan@",
            "@x.nl",
            "jan@nl",
            "jan @x.nl",
            "a@b@c.nl",
            "jan@-x.nl",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sbi() {
        let code = SbiCode::parse("4120").unwrap();
        assert_eq!(code.section(), Some(SbiSection('F')));
        assert_eq!(SbiSection('F').name("nl"), "Bouwnijverheid");
        assert!(SbiCode::parse("04").is_err());
        assert!(SbiCode::parse("4").is_err());
        assert!(SbiCode::parse("12a").is_err());
    }
}
