//! The structured message — opening and closing text from the templates,
//! the table of invoices, the totals, how to pay, the signature — and its
//! three layouts: plain text, HTML e-mail and a PDF letter.
//!
//! A message is stored as this document (JSON) when it is queued, so what
//! is delivered later is exactly what was planned, and can be shown again
//! as sent.

use serde::{Deserialize, Serialize};
use tegoed_core::{Date, Language};
use tegoed_formats::epc::QrMatrix;
use tegoed_formats::pdf::{Font, PAGE_HEIGHT, PAGE_WIDTH, Pdf, text_width, wrap};

pub use crate::format::{long_date, money, short_date};

/// Fixed words of the layouts.
struct Labels {
    invoice: &'static str,
    date: &'static str,
    due: &'static str,
    days_late: &'static str,
    open: &'static str,
    not_due: &'static str,
    how_to_pay: &'static str,
    amount: &'static str,
    to: &'static str,
    iban: &'static str,
    reference: &'static str,
    pay_by: &'static str,
    scan: &'static str,
}

fn labels(language: Language) -> &'static Labels {
    const NL: Labels = Labels {
        invoice: "Factuur",
        date: "Datum",
        due: "Vervaldatum",
        days_late: "Dagen te laat",
        open: "Open",
        not_due: "nog niet",
        how_to_pay: "Zo betaalt u",
        amount: "Bedrag",
        to: "Naar",
        iban: "IBAN",
        reference: "Omschrijving",
        pay_by: "Graag uiterlijk",
        scan: "Scan de code met uw bank-app",
    };
    const EN: Labels = Labels {
        invoice: "Invoice",
        date: "Date",
        due: "Due date",
        days_late: "Days late",
        open: "Open",
        not_due: "not yet",
        how_to_pay: "How to pay",
        amount: "Amount",
        to: "To",
        iban: "IBAN",
        reference: "Reference",
        pay_by: "Please pay by",
        scan: "Scan the code with your banking app",
    };
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

/// One invoice in the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub number: String,
    #[serde(with = "crate::ser::iso_date")]
    pub issue_date: Date,
    #[serde(with = "crate::ser::iso_date")]
    pub due_date: Date,
    /// Negative: not yet due.
    pub days_overdue: i32,
    pub open_minor: i64,
}

/// A total line under the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    pub label: String,
    pub minor: i64,
    /// The last line (what to pay) is bold.
    pub strong: bool,
}

/// How to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayInfo {
    pub amount_minor: i64,
    pub beneficiary: String,
    pub iban: String,
    pub bic: Option<String>,
    pub reference: String,
    #[serde(with = "crate::ser::iso_date")]
    pub pay_by: Date,
    /// The EPC QR payload (euros only).
    pub epc: Option<String>,
}

/// Who signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The sending company's letterhead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letterhead {
    pub name: String,
    pub address: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub kvk: Option<String>,
}

impl Letterhead {
    /// The sending company's letterhead from the settings.
    pub fn of(company: &crate::config::Company) -> Letterhead {
        Letterhead {
            name: company.name.clone(),
            address: company.address.clone(),
            phone: company.phone.clone(),
            email: company.email.clone(),
            website: company.website.clone(),
            kvk: company.kvk.clone(),
        }
    }
}

impl Signature {
    /// What a signer is, under their name: `Accountmanager, Bedrijf` or
    /// `Debiteurenbeheer, Bedrijf`.
    pub fn title(account_manager: bool, company: &str, language: Language) -> String {
        match (account_manager, language) {
            (true, Language::Nl) => format!("Accountmanager, {company}"),
            (true, Language::En) => format!("Account manager, {company}"),
            (false, Language::Nl) => format!("Debiteurenbeheer, {company}"),
            (false, Language::En) => format!("Credit management, {company}"),
        }
    }
}

/// A message, ready to lay out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    #[serde(with = "crate::ser::language")]
    pub language: Language,
    #[serde(with = "crate::ser::iso_date")]
    pub date: Date,
    pub currency: String,
    pub subject: String,
    /// Name and postal address lines of the customer.
    pub recipient: Vec<String>,
    pub customer_number: String,
    pub opening: String,
    pub rows: Vec<Row>,
    pub totals: Vec<Total>,
    pub pay: Option<PayInfo>,
    pub closing: String,
    pub signature: Signature,
    pub letterhead: Letterhead,
    /// The customer's own page, set when the message is delivered (a link
    /// is issued then and never stored in the clear).
    #[serde(skip)]
    pub portal: Option<String>,
}

/// The portal paragraph: a title and what the customer can do there.
fn portal_texts(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Nl => (
            "Uw eigen pagina",
            "Daar ziet u wat er openstaat en hoe u betaalt. U kunt ons er ook laten weten \
             dat u al betaald hebt, dat er iets niet klopt of dat u wilt dat we contact opnemen.",
        ),
        Language::En => (
            "Your own page",
            "There you see what is open and how to pay. You can also tell us there that you \
             have already paid, that something is wrong, or that you would like us to contact you.",
        ),
    }
}

fn iban_display(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Paragraphs: blocks separated by blank lines.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

impl Document {
    fn money(&self, minor: i64) -> String {
        money(minor, &self.currency, self.language)
    }

    fn days_text(&self, row: &Row) -> String {
        if row.days_overdue > 0 {
            row.days_overdue.to_string()
        } else {
            labels(self.language).not_due.to_string()
        }
    }

    fn signature_lines(&self) -> Vec<String> {
        let mut lines = vec![self.signature.name.clone(), self.signature.title.clone()];
        let contact: Vec<&str> = [
            self.signature.phone.as_deref(),
            self.signature.email.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !contact.is_empty() {
            lines.push(contact.join(" · "));
        }
        lines
    }

    fn pay_lines(&self, pay: &PayInfo) -> Vec<(String, String)> {
        let l = labels(self.language);
        vec![
            (l.amount.to_string(), self.money(pay.amount_minor)),
            (l.to.to_string(), pay.beneficiary.clone()),
            (l.iban.to_string(), iban_display(&pay.iban)),
            (l.reference.to_string(), pay.reference.clone()),
            (l.pay_by.to_string(), long_date(pay.pay_by, self.language)),
        ]
    }

    /// The plain-text body (the text part of the e-mail, and what the
    /// preview shows).
    pub fn text(&self) -> String {
        let l = labels(self.language);
        let mut out = String::new();
        out.push_str(self.opening.trim());
        out.push_str("\n\n");
        if !self.rows.is_empty() {
            let header = [l.invoice, l.date, l.due, l.days_late, l.open];
            let cells: Vec<[String; 5]> = self
                .rows
                .iter()
                .map(|r| {
                    [
                        r.number.clone(),
                        short_date(r.issue_date, self.language),
                        short_date(r.due_date, self.language),
                        self.days_text(r),
                        self.money(r.open_minor),
                    ]
                })
                .collect();
            let mut widths = header.map(|h| h.chars().count());
            for row in &cells {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: [&str; 5]| -> String {
                let mut s = String::new();
                for (i, cell) in cells.iter().enumerate() {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    if i >= 3 {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(cell);
                    } else {
                        s.push_str(cell);
                        s.push_str(&" ".repeat(pad));
                    }
                    if i < 4 {
                        s.push_str("  ");
                    }
                }
                s.trim_end().to_string()
            };
            out.push_str(&line(header));
            out.push('\n');
            for row in &cells {
                out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
                out.push('\n');
            }
            let table_width: usize = widths.iter().sum::<usize>() + 8;
            for total in &self.totals {
                let amount = self.money(total.minor);
                let label = &total.label;
                let pad =
                    table_width.saturating_sub(label.chars().count() + amount.chars().count() + 2);
                out.push_str(&format!("{}{label}  {amount}\n", " ".repeat(pad)));
            }
            out.push('\n');
        }
        if let Some(pay) = &self.pay {
            out.push_str(l.how_to_pay);
            out.push('\n');
            for (label, value) in self.pay_lines(pay) {
                out.push_str(&format!("  {label}: {value}\n"));
            }
            out.push('\n');
        }
        if let Some(url) = &self.portal {
            let (title, what) = portal_texts(self.language);
            out.push_str(&format!("{title}\n{what}\n  {url}\n\n"));
        }
        out.push_str(self.closing.trim());
        out.push_str("\n\n");
        out.push_str(&self.signature_lines().join("\n"));
        out.push('\n');
        out
    }

    /// The HTML body; the QR code is the inline image `cid:epc-qr`.
    pub fn html(&self) -> String {
        let l = labels(self.language);
        let mut out = String::new();
        out.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222;max-width:640px\">\n",
            self.language.as_str(),
            html_escape(&self.subject)
        ));
        for p in paragraphs(&self.opening) {
            out.push_str(&format!(
                "<p>{}</p>\n",
                html_escape(&p).replace('\n', "<br>")
            ));
        }
        if !self.rows.is_empty() {
            out.push_str(
                "<table style=\"border-collapse:collapse;width:100%;font-size:14px\">\n<tr>",
            );
            for (i, h) in [l.invoice, l.date, l.due, l.days_late, l.open]
                .iter()
                .enumerate()
            {
                let align = if i >= 3 { "right" } else { "left" };
                out.push_str(&format!(
                    "<th style=\"text-align:{align};border-bottom:1px solid #999;padding:4px\">{h}</th>"
                ));
            }
            out.push_str("</tr>\n");
            for row in &self.rows {
                out.push_str(&format!(
                    "<tr><td style=\"padding:4px\">{}</td><td style=\"padding:4px\">{}</td><td style=\"padding:4px\">{}</td>\
                     <td style=\"padding:4px;text-align:right\">{}</td><td style=\"padding:4px;text-align:right\">{}</td></tr>\n",
                    html_escape(&row.number),
                    short_date(row.issue_date, self.language),
                    short_date(row.due_date, self.language),
                    self.days_text(row),
                    self.money(row.open_minor)
                ));
            }
            for total in &self.totals {
                let weight = if total.strong { "bold" } else { "normal" };
                out.push_str(&format!(
                    "<tr><td colspan=\"4\" style=\"padding:4px;text-align:right;font-weight:{weight}\">{}</td>\
                     <td style=\"padding:4px;text-align:right;font-weight:{weight}\">{}</td></tr>\n",
                    html_escape(&total.label),
                    self.money(total.minor)
                ));
            }
            out.push_str("</table>\n");
        }
        if let Some(pay) = &self.pay {
            out.push_str(&format!(
                "<div style=\"margin:16px 0;padding:12px;border:1px solid #ccc;border-radius:6px\">\n<strong>{}</strong>\n<table style=\"font-size:14px\">",
                l.how_to_pay
            ));
            for (label, value) in self.pay_lines(pay) {
                out.push_str(&format!(
                    "<tr><td style=\"padding:2px 12px 2px 0\">{}</td><td>{}</td></tr>",
                    label,
                    html_escape(&value)
                ));
            }
            out.push_str("</table>\n");
            if pay.epc.is_some() {
                out.push_str(&format!(
                    "<p style=\"margin:8px 0 0\"><img src=\"cid:epc-qr\" width=\"160\" height=\"160\" alt=\"{}\"><br><small>{}</small></p>\n",
                    l.scan, l.scan
                ));
            }
            out.push_str("</div>\n");
        }
        if let Some(url) = &self.portal {
            let (title, what) = portal_texts(self.language);
            out.push_str(&format!(
                "<p><strong>{title}</strong><br>{}<br><a href=\"{url}\" style=\"display:inline-block;margin-top:6px;padding:8px 14px;background:#1f5f8b;color:#fff;border-radius:4px;text-decoration:none\">{}</a></p>\n",
                html_escape(what),
                match self.language {
                    Language::Nl => "Naar uw pagina",
                    Language::En => "Open your page",
                },
                url = html_escape(url),
            ));
        }
        for p in paragraphs(&self.closing) {
            out.push_str(&format!(
                "<p>{}</p>\n",
                html_escape(&p).replace('\n', "<br>")
            ));
        }
        out.push_str(&format!(
            "<p>{}</p>\n",
            self.signature_lines()
                .iter()
                .map(|s| html_escape(s))
                .collect::<Vec<_>>()
                .join("<br>")
        ));
        out.push_str("</body></html>\n");
        out
    }

    /// The QR code for the payment, when there is one.
    pub fn qr(&self) -> Option<QrMatrix> {
        self.pay
            .as_ref()
            .and_then(|p| p.epc.as_deref())
            .and_then(|epc| QrMatrix::encode(epc).ok())
    }

    /// The letter as PDF (A4, window envelope address position).
    pub fn pdf(&self) -> Vec<u8> {
        let l = labels(self.language);
        let mut pdf = Pdf::new(&self.subject);
        let left = 62.0;
        let right = PAGE_WIDTH - 56.0;
        let width = right - left;
        let body = 10.5;
        let leading = 14.5;
        let mut y;
        {
            let page = pdf.page();
            page.text(
                left,
                PAGE_HEIGHT - 60.0,
                15.0,
                Font::Bold,
                &self.letterhead.name,
            );
            let mut head: Vec<String> = self.letterhead.address.clone();
            head.extend(self.letterhead.phone.clone());
            head.extend(self.letterhead.email.clone());
            head.extend(self.letterhead.website.clone());
            if let Some(kvk) = &self.letterhead.kvk {
                head.push(format!("KvK {kvk}"));
            }
            let mut hy = PAGE_HEIGHT - 56.0;
            for line in &head {
                page.text_right(right, hy, 8.5, Font::Regular, line);
                hy -= 11.0;
            }
            // The address block sits where a Dutch window envelope shows it.
            let mut ay = PAGE_HEIGHT - 150.0;
            for line in &self.recipient {
                page.text(left, ay, body, Font::Regular, line);
                ay -= leading;
            }
            y = PAGE_HEIGHT - 265.0;
            page.text(
                left,
                y,
                body,
                Font::Regular,
                &long_date(self.date, self.language),
            );
            y -= leading;
            let customer = match self.language {
                Language::Nl => format!("Klantnummer {}", self.customer_number),
                Language::En => format!("Customer number {}", self.customer_number),
            };
            page.text(left, y, body, Font::Regular, &customer);
            y -= 2.0 * leading;
            for line in wrap(&self.subject, Font::Bold, 12.0, width) {
                page.text(left, y, 12.0, Font::Bold, &line);
                y -= leading + 2.0;
            }
            y -= 6.0;
        }
        let write_paragraphs = |pdf: &mut Pdf, y: &mut f32, text: &str| {
            for paragraph in paragraphs(text) {
                for line in wrap(&paragraph, Font::Regular, body, width) {
                    if *y < 70.0 {
                        pdf.page();
                        *y = PAGE_HEIGHT - 70.0;
                    }
                    let page = pdf_last(pdf);
                    page.text(left, *y, body, Font::Regular, &line);
                    *y -= leading;
                }
                *y -= leading * 0.6;
            }
        };
        write_paragraphs(&mut pdf, &mut y, &self.opening);
        if !self.rows.is_empty() {
            let columns = [left, left + 120.0, left + 205.0, right - 150.0, right];
            let header = |pdf: &mut Pdf, y: &mut f32| {
                let page = pdf_last(pdf);
                page.text(columns[0], *y, 9.5, Font::Bold, l.invoice);
                page.text(columns[1], *y, 9.5, Font::Bold, l.date);
                page.text(columns[2], *y, 9.5, Font::Bold, l.due);
                page.text_right(columns[3], *y, 9.5, Font::Bold, l.days_late);
                page.text_right(columns[4], *y, 9.5, Font::Bold, l.open);
                page.line(left, *y - 4.0, right, *y - 4.0, 0.5);
                *y -= 16.0;
            };
            header(&mut pdf, &mut y);
            for row in &self.rows {
                if y < 90.0 {
                    pdf.page();
                    y = PAGE_HEIGHT - 70.0;
                    header(&mut pdf, &mut y);
                }
                let page = pdf_last(&mut pdf);
                page.text(columns[0], y, 9.5, Font::Regular, &row.number);
                page.text(
                    columns[1],
                    y,
                    9.5,
                    Font::Regular,
                    &short_date(row.issue_date, self.language),
                );
                page.text(
                    columns[2],
                    y,
                    9.5,
                    Font::Regular,
                    &short_date(row.due_date, self.language),
                );
                page.text_right(columns[3], y, 9.5, Font::Regular, &self.days_text(row));
                page.text_right(
                    columns[4],
                    y,
                    9.5,
                    Font::Regular,
                    &self.money(row.open_minor),
                );
                y -= 13.0;
            }
            pdf_last(&mut pdf).line(columns[3] - 60.0, y + 8.0, right, y + 8.0, 0.5);
            y -= 4.0;
            for total in &self.totals {
                if y < 70.0 {
                    pdf.page();
                    y = PAGE_HEIGHT - 70.0;
                }
                let font = if total.strong {
                    Font::Bold
                } else {
                    Font::Regular
                };
                let page = pdf_last(&mut pdf);
                page.text_right(columns[4] - 90.0, y, 9.5, font, &total.label);
                page.text_right(columns[4], y, 9.5, font, &self.money(total.minor));
                y -= 13.0;
            }
            y -= leading;
        }
        if let Some(pay) = &self.pay {
            let qr = self.qr();
            let box_height = if qr.is_some() { 128.0 } else { 86.0 };
            if y - box_height < 60.0 {
                pdf.page();
                y = PAGE_HEIGHT - 70.0;
            }
            let page = pdf_last(&mut pdf);
            page.fill_rect(
                left - 6.0,
                y - box_height + 10.0,
                width + 12.0,
                box_height,
                0.94,
            );
            page.text(left, y - 4.0, 10.5, Font::Bold, l.how_to_pay);
            let mut py = y - 20.0;
            for (label, value) in self.pay_lines(pay) {
                page.text(left, py, 9.5, Font::Regular, &label);
                page.text(left + 95.0, py, 9.5, Font::Regular, &value);
                py -= 13.0;
            }
            if let Some(qr) = qr {
                let size = 100.0;
                let y0 = y - 4.0;
                draw_qr(page, &qr, right - size, y0, size);
                let note = text_width(l.scan, Font::Regular, 7.5);
                page.text(right - note, y0 - size - 9.0, 7.5, Font::Regular, l.scan);
            }
            y -= box_height + 8.0;
        }
        if let Some(url) = &self.portal {
            let (title, what) = portal_texts(self.language);
            let size = 72.0;
            let box_height = size + 16.0;
            if y - box_height < 60.0 {
                pdf.page();
                y = PAGE_HEIGHT - 70.0;
            }
            let page = pdf_last(&mut pdf);
            page.text(left, y - 4.0, 10.5, Font::Bold, title);
            let mut py = y - 20.0;
            for line in wrap(what, Font::Regular, 9.5, width - size - 24.0) {
                page.text(left, py, 9.5, Font::Regular, &line);
                py -= 12.5;
            }
            page.text(left, py - 4.0, 10.0, Font::Bold, url);
            if let Ok(qr) = QrMatrix::encode(url) {
                draw_qr(page, &qr, right - size, y - 4.0, size);
            }
            y -= box_height + 8.0;
        }
        write_paragraphs(&mut pdf, &mut y, &self.closing);
        let page = pdf_last(&mut pdf);
        for line in self.signature_lines() {
            page.text(left, y, body, Font::Regular, &line);
            y -= leading;
        }
        pdf.finish()
    }
}

/// Draws `qr` as a `size`-point square whose top left corner is (`x0`,
/// `y0`): one filled rectangle per run of dark modules in a row.
fn draw_qr(page: &mut tegoed_formats::pdf::Page, qr: &QrMatrix, x0: f32, y0: f32, size: f32) {
    let module = size / qr.width as f32;
    let rects: Vec<(f32, f32, f32, f32)> = qr
        .dark_runs()
        .into_iter()
        .map(|(mx, my, run)| {
            (
                x0 + mx as f32 * module,
                y0 - (my + 1) as f32 * module,
                run as f32 * module + 0.05,
                module + 0.05,
            )
        })
        .collect();
    page.fill_rects(&rects, 0.0);
}

fn pdf_last(pdf: &mut Pdf) -> &mut tegoed_formats::pdf::Page {
    pdf.current_page()
}
