//! ISO 20022 CAMT bank-to-customer messages: camt.053 statements, camt.052
//! intraday reports and camt.054 debit/credit notifications, schema versions
//! .001.02 to .001.08 (and later ones that keep the structure).
//!
//! The file is streamed: each `Ntry` is read as a small tree and turned into
//! a [`BankEntry`], so a file with a hundred thousand entries never lives in
//! memory as one tree. Elements are found by local name, so namespace
//! prefixes and the small differences between versions (`Dt` or `DtTm`,
//! `TxDtls/Amt` or `AmtDtls/TxAmt/Amt`, `Dbtr/Nm` or `Dbtr/Pty/Nm`) do not
//! matter. Several `Document`s in one file are read one after another.

use tegoed_core::{Currency, Date, Money};

use crate::statement::{
    Balance, BankEntry, Direction, EntryStatus, Statement, StatementError, StatementFile,
    StatementFormat, TxDetail, clean,
};
use crate::xml::{Element, XmlError, XmlReader};

fn xml_error(e: XmlError) -> StatementError {
    StatementError::new(e.line, e.element, e.message)
}

/// Reads every statement in the (decoded) file.
pub fn parse(source: &str) -> Result<StatementFile, StatementError> {
    let mut reader = XmlReader::new(source);
    let mut file = StatementFile::default();
    let mut message: Option<String> = None;
    let mut seen_root = false;
    let mut document_line = 1;
    let mut statements_in_document = 0usize;
    // The message's creation date: the entry date of last resort.
    let mut created: Option<Date> = None;
    let check_document_done = |count: usize,
                               line: u64,
                               message: &Option<String>|
     -> Result<(), StatementError> {
        if count == 0 {
            let kind = message.as_deref().unwrap_or("053");
            return Err(StatementError::new(
                line,
                Some("Document".into()),
                format!(
                    "camt.{kind} document without a statement (Stmt, Rpt or Ntfctn); nothing to import"
                ),
            ));
        }
        Ok(())
    };
    while let Some(start) = reader.next_start().map_err(xml_error)? {
        match start.name.as_str() {
            "Document" => {
                if seen_root {
                    check_document_done(statements_in_document, document_line, &message)?;
                }
                seen_root = true;
                statements_in_document = 0;
                document_line = reader.line_of(start.offset);
                message = start
                    .attributes
                    .iter()
                    .find(|(name, _)| name == "xmlns")
                    .and_then(|(_, ns)| ns.split("camt.").nth(1))
                    .map(|m| m.trim_end_matches(".xsd").to_string());
            }
            "BkToCstmrStmt" | "BkToCstmrAcctRpt" | "BkToCstmrDbtCdtNtfctn" => {
                if !seen_root {
                    seen_root = true;
                    document_line = reader.line_of(start.offset);
                }
                if message.is_none() {
                    message = Some(
                        match start.name.as_str() {
                            "BkToCstmrAcctRpt" => "052",
                            "BkToCstmrStmt" => "053",
                            _ => "054",
                        }
                        .to_string(),
                    );
                }
            }
            "GrpHdr" => {
                let header = reader.read_element(start).map_err(xml_error)?;
                created = read_date(header.child("CreDtTm"));
            }
            "Stmt" | "Rpt" | "Ntfctn" => {
                let line = reader.line_of(start.offset);
                let statement = read_statement(
                    &mut reader,
                    start,
                    message.clone().unwrap_or_else(|| "053".into()),
                    line,
                    created,
                    &mut file.warnings,
                )?;
                statements_in_document += 1;
                file.statements.push(statement);
            }
            other if !seen_root => {
                let what = if other == "Document" || other.is_empty() {
                    "an unknown XML document".to_string()
                } else {
                    format!("<{other}>")
                };
                return Err(StatementError::new(
                    reader.line_of(start.offset),
                    Some(other.to_string()),
                    format!(
                        "not a CAMT bank statement: the file starts with {what}; expected <Document> with BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn"
                    ),
                ));
            }
            _ => {
                if let Some(kind) = message.as_deref()
                    && !kind.starts_with("05")
                {
                    return Err(StatementError::new(
                        reader.line_of(start.offset),
                        Some("Document".into()),
                        format!(
                            "not a bank statement: this is a camt.{kind} message; expected camt.052, camt.053 or camt.054"
                        ),
                    ));
                }
            }
        }
    }
    if !seen_root {
        return Err(StatementError::new(1, None, "no XML element in the file"));
    }
    if let Some(kind) = message.as_deref()
        && !kind.starts_with("05")
    {
        return Err(StatementError::new(
            document_line,
            Some("Document".into()),
            format!("not a bank statement: this is a camt.{kind} or other ISO 20022 message"),
        ));
    }
    check_document_done(statements_in_document, document_line, &message)?;
    Ok(file)
}

fn read_statement(
    reader: &mut XmlReader<'_>,
    start: crate::xml::Start,
    message: String,
    line: u64,
    mut created: Option<Date>,
    warnings: &mut Vec<String>,
) -> Result<Statement, StatementError> {
    let element_name = start.name.clone();
    let mut statement = Statement {
        format: StatementFormat::Camt { message },
        id: None,
        account: None,
        account_name: None,
        currency: None,
        opening: None,
        closing: None,
        entries: Vec::new(),
    };
    if start.empty {
        return Err(StatementError::new(
            line,
            Some(element_name),
            "empty statement",
        ));
    }
    let depth = reader.depth();
    let mut entry_index = 0usize;
    while let Some(child) = reader.next_child(depth).map_err(xml_error)? {
        // Entries are named by their position in errors: `Ntry[3]`.
        let label = if child.name == "Ntry" {
            format!("Ntry[{}]", entry_index + 1)
        } else {
            child.name.clone()
        };
        let element = reader.read_element_as(child, &label).map_err(xml_error)?;
        match element.name.as_str() {
            "Id" => statement.id = clean(&element.text),
            "CreDtTm" => created = read_date(Some(&element)).or(created),
            "Acct" => {
                statement.account = element
                    .text_at(&["Id", "IBAN"])
                    .or_else(|| element.text_at(&["Id", "Othr", "Id"]))
                    .map(str::to_string);
                statement.account_name = element.text_at(&["Nm"]).map(str::to_string);
                statement.currency = element
                    .text_at(&["Ccy"])
                    .and_then(|c| Currency::parse(c).ok());
            }
            "Bal" => {
                let path = format!("{element_name}/Bal");
                let balance = read_balance(reader, &element, &path)?;
                let code = element
                    .text_at(&["Tp", "CdOrPrtry", "Cd"])
                    .or_else(|| element.text_at(&["Tp", "CdOrPrtry", "Prtry"]))
                    .unwrap_or("");
                match code {
                    "OPBD" | "PRCD" | "ITBD" if statement.opening.is_none() => {
                        statement.opening = Some(balance)
                    }
                    "CLBD" => statement.closing = Some(balance),
                    _ => {}
                }
            }
            "Ntry" => {
                entry_index += 1;
                let path = format!("{element_name}/Ntry[{entry_index}]");
                if let Some(entry) = read_entry(
                    reader,
                    &element,
                    &path,
                    statement.currency,
                    created,
                    warnings,
                )? {
                    statement.entries.push(entry);
                }
            }
            _ => {}
        }
    }
    Ok(statement)
}

fn missing(reader: &XmlReader<'_>, element: &Element, path: &str, what: &str) -> StatementError {
    StatementError::new(
        reader.line_of(element.offset),
        Some(path.to_string()),
        format!("missing {what}"),
    )
}

/// An `Amt` element with its `Ccy` attribute.
fn read_amount(
    reader: &XmlReader<'_>,
    amount: &Element,
    path: &str,
) -> Result<Money, StatementError> {
    let error = |message: String| {
        StatementError::new(
            reader.line_of(amount.offset),
            Some(path.to_string()),
            message,
        )
    };
    let code = amount
        .attribute("Ccy")
        .ok_or_else(|| error("amount without a Ccy currency attribute".into()))?;
    let currency = Currency::parse(code).map_err(|e| error(e.to_string()))?;
    let text = amount.text.trim();
    // ISO 20022 amounts use '.' and no grouping.
    if text.is_empty() || text.contains(',') || text.starts_with('-') {
        return Err(error(format!(
            "invalid amount '{text}': expected a decimal such as 1234.56"
        )));
    }
    // ISO 20022 allows up to five decimals; trailing zeros beyond the
    // currency's minor unit are only formatting ("8.850", "5442.09000").
    let normalized = match text.split_once('.') {
        Some((int, frac)) if frac.len() > currency.exponent() as usize => {
            let keep = frac.trim_end_matches('0');
            let keep = if keep.len() < currency.exponent() as usize {
                &frac[..currency.exponent() as usize]
            } else {
                keep
            };
            if keep.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{keep}")
            }
        }
        _ => text.to_string(),
    };
    let money = Money::parse(&normalized, currency).map_err(|e| error(e.to_string()))?;
    Ok(money)
}

fn read_date(element: Option<&Element>) -> Option<Date> {
    let element = element?;
    let text = element
        .text_at(&["Dt"])
        .or_else(|| element.text_at(&["DtTm"]))
        .or_else(|| {
            let own = element.text.as_str();
            (!own.is_empty()).then_some(own)
        })?;
    Date::parse_iso(text.get(..10)?).ok()
}

fn read_balance(
    reader: &XmlReader<'_>,
    element: &Element,
    path: &str,
) -> Result<Balance, StatementError> {
    let amount_element = element
        .child("Amt")
        .ok_or_else(|| missing(reader, element, path, "Amt (balance amount)"))?;
    let mut amount = read_amount(reader, amount_element, &format!("{path}/Amt"))?;
    if element.text_at(&["CdtDbtInd"]) == Some("DBIT") {
        amount.minor = -amount.minor;
    }
    let date = read_date(element.child("Dt"))
        .ok_or_else(|| missing(reader, element, path, "Dt (balance date)"))?;
    Ok(Balance { amount, date })
}

fn direction(
    reader: &XmlReader<'_>,
    element: &Element,
    path: &str,
) -> Result<Direction, StatementError> {
    match element.text_at(&["CdtDbtInd"]) {
        Some("CRDT") => Ok(Direction::Credit),
        Some("DBIT") => Ok(Direction::Debit),
        Some(other) => Err(StatementError::new(
            reader.line_of(element.offset),
            Some(format!("{path}/CdtDbtInd")),
            format!("expected CRDT or DBIT, found '{other}'"),
        )),
        None => Err(missing(
            reader,
            element,
            path,
            "CdtDbtInd (credit or debit)",
        )),
    }
}

fn read_entry(
    reader: &XmlReader<'_>,
    entry: &Element,
    path: &str,
    account_currency: Option<Currency>,
    created: Option<Date>,
    warnings: &mut Vec<String>,
) -> Result<Option<BankEntry>, StatementError> {
    let line = reader.line_of(entry.offset);
    let amount_element = entry.child("Amt").ok_or_else(|| {
        missing(
            reader,
            entry,
            path,
            "Amt (the entry amount); the entry cannot be booked",
        )
    })?;
    let amount = read_amount(reader, amount_element, &format!("{path}/Amt"))?;
    if let Some(currency) = account_currency
        && currency != amount.currency
    {
        warnings.push(format!(
            "line {line}: entry in {} on a {} account; booked in {} as the statement says",
            amount.currency, currency, amount.currency
        ));
    }
    let direction = direction(reader, entry, path)?;
    let reversal = matches!(entry.text_at(&["RvslInd"]), Some("true") | Some("1"));
    let status = match entry
        .text_at(&["Sts"])
        .or_else(|| entry.text_at(&["Sts", "Cd"]))
    {
        Some("PDNG") => EntryStatus::Pending,
        Some("INFO") => EntryStatus::Information,
        _ => EntryStatus::Booked,
    };
    let booking_date = match read_date(entry.child("BookgDt"))
        .or_else(|| read_date(entry.child("ValDt")))
    {
        Some(date) => date,
        None => {
            let date = created
                .ok_or_else(|| missing(reader, entry, path, "BookgDt or ValDt (the entry date)"))?;
            warnings.push(format!("line {line}: entry without a booking date; dated {date}, when the message was created"));
            date
        }
    };
    let bank_code = entry.at(&["BkTxCd"]).and_then(|code| {
        match (
            code.text_at(&["Domn", "Cd"]),
            code.text_at(&["Domn", "Fmly", "Cd"]),
            code.text_at(&["Domn", "Fmly", "SubFmlyCd"]),
        ) {
            (Some(d), Some(f), Some(s)) => Some(format!("{d}-{f}-{s}")),
            _ => code.text_at(&["Prtry", "Cd"]).map(str::to_string),
        }
    });
    let mut transactions: Vec<&Element> = Vec::new();
    for details in entry.children_named("NtryDtls") {
        transactions.extend(details.children_named("TxDtls"));
    }
    let mut details: Vec<TxDetail> = transactions
        .iter()
        .map(|tx| read_detail(reader, tx, direction, amount.currency))
        .collect();
    if details.is_empty() {
        details.push(TxDetail::default());
    }
    // Amounts per detail: a single detail takes the entry amount; several
    // must add up to it, else the entry is booked as one payment.
    if details.len() == 1 {
        details[0].amount = Some(amount);
    } else {
        let all_known = details.iter().all(|d| d.amount.is_some());
        // In i128: amounts near the i64 limit must not overflow the sum.
        let sum: i128 = details
            .iter()
            .filter_map(|d| d.amount.map(|a| i128::from(a.minor)))
            .sum();
        if !all_known || sum != i128::from(amount.minor) {
            warnings.push(format!(
                "line {line}: the {} transaction details of this entry do not add up to its amount {}; booked as one payment",
                details.len(),
                amount
            ));
            let mut merged = details.swap_remove(0);
            merged.amount = Some(amount);
            details = vec![merged];
        }
    }
    Ok(Some(BankEntry {
        line,
        booking_date,
        value_date: read_date(entry.child("ValDt")),
        direction,
        reversal,
        status,
        amount,
        entry_ref: entry.text_at(&["NtryRef"]).map(str::to_string),
        servicer_ref: entry.text_at(&["AcctSvcrRef"]).map(str::to_string),
        bank_code,
        additional_info: entry.text_at(&["AddtlNtryInf"]).and_then(clean),
        details,
    }))
}

/// The party and account on the other side: for money in, the debtor; for
/// money out, the creditor (falling back to the other, and to the ultimate
/// party's name).
fn counterparty(parties: &Element, direction: Direction) -> (Option<String>, Option<String>) {
    let (party, account, ultimate) = match direction {
        Direction::Credit => ("Dbtr", "DbtrAcct", "UltmtDbtr"),
        Direction::Debit => ("Cdtr", "CdtrAcct", "UltmtCdtr"),
    };
    let (other_party, other_account) = match direction {
        Direction::Credit => ("Cdtr", "CdtrAcct"),
        Direction::Debit => ("Dbtr", "DbtrAcct"),
    };
    let name_of = |p: &str| {
        parties
            .text_at(&[p, "Nm"])
            .or_else(|| parties.text_at(&[p, "Pty", "Nm"]))
            .map(str::to_string)
    };
    let account_of = |a: &str| {
        parties
            .text_at(&[a, "Id", "IBAN"])
            .or_else(|| parties.text_at(&[a, "Id", "Othr", "Id"]))
            .map(str::to_string)
    };
    let name = name_of(party)
        .or_else(|| name_of(ultimate))
        .or_else(|| name_of(other_party));
    let iban = account_of(account).or_else(|| account_of(other_account));
    (name, iban)
}

fn read_detail(
    reader: &XmlReader<'_>,
    tx: &Element,
    direction: Direction,
    currency: Currency,
) -> TxDetail {
    let amount = [
        tx.at(&["Amt"]),
        tx.at(&["AmtDtls", "TxAmt", "Amt"]),
        tx.at(&["AmtDtls", "InstdAmt", "Amt"]),
    ]
    .into_iter()
    .flatten()
    .filter_map(|e| read_amount(reader, e, "TxDtls/Amt").ok())
    .find(|m| m.currency == currency);
    let (counterparty_name, counterparty_account) = tx
        .child("RltdPties")
        .map(|p| counterparty(p, direction))
        .unwrap_or((None, None));
    let bic_path: &[&str] = match direction {
        Direction::Credit => &["RltdAgts", "DbtrAgt", "FinInstnId"],
        Direction::Debit => &["RltdAgts", "CdtrAgt", "FinInstnId"],
    };
    let counterparty_bic = tx
        .at(bic_path)
        .and_then(|f| f.text_at(&["BIC"]).or_else(|| f.text_at(&["BICFI"])))
        .map(str::to_string);
    let mut remittance: Vec<String> = Vec::new();
    let mut structured_reference = None;
    if let Some(rmt) = tx.child("RmtInf") {
        for ustrd in rmt.children_named("Ustrd") {
            remittance.push(ustrd.text.clone());
        }
        for strd in rmt.children_named("Strd") {
            if let Some(reference) = strd.text_at(&["CdtrRefInf", "Ref"]) {
                structured_reference.get_or_insert_with(|| reference.to_string());
            }
            for doc in strd.children_named("RfrdDocInf") {
                if let Some(number) = doc.text_at(&["Nb"]) {
                    remittance.push(number.to_string());
                }
            }
            for info in strd.children_named("AddtlRmtInf") {
                remittance.push(info.text.clone());
            }
        }
    }
    if let Some(info) = tx.text_at(&["AddtlTxInf"]) {
        remittance.push(info.to_string());
    }
    let return_reason = tx
        .text_at(&["RtrInf", "Rsn", "Cd"])
        .or_else(|| tx.text_at(&["RtrInf", "Rsn", "Prtry"]))
        .map(str::to_string);
    TxDetail {
        amount,
        end_to_end_id: tx
            .text_at(&["Refs", "EndToEndId"])
            .filter(|r| *r != "NOTPROVIDED")
            .map(str::to_string),
        instruction_id: tx.text_at(&["Refs", "InstrId"]).map(str::to_string),
        mandate_id: tx.text_at(&["Refs", "MndtId"]).map(str::to_string),
        servicer_ref: tx.text_at(&["Refs", "AcctSvcrRef"]).map(str::to_string),
        counterparty_name,
        counterparty_account,
        counterparty_bic,
        structured_reference,
        remittance: clean(&remittance.join(" ")),
        return_reason,
    }
}

/// Writes a camt.053.001.02 statement (for demo files and tests).
pub fn write_statement(statement: &Statement, message_id: &str) -> String {
    fn esc(text: &str) -> String {
        quick_xml::escape::escape(text).into_owned()
    }
    let mut out = String::with_capacity(1024 + statement.entries.len() * 900);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n",
    );
    out.push_str(&format!(
        "<GrpHdr><MsgId>{}</MsgId></GrpHdr>\n<Stmt>\n",
        esc(message_id)
    ));
    out.push_str(&format!(
        "<Id>{}</Id>\n",
        esc(statement.id.as_deref().unwrap_or(message_id))
    ));
    out.push_str(&format!(
        "<Acct><Id><IBAN>{}</IBAN></Id>{}</Acct>\n",
        esc(statement.account.as_deref().unwrap_or("")),
        statement
            .currency
            .map(|c| format!("<Ccy>{c}</Ccy>"))
            .unwrap_or_default()
    ));
    for (code, balance) in [("OPBD", &statement.opening), ("CLBD", &statement.closing)] {
        if let Some(b) = balance {
            out.push_str(&format!(
                "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{}\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>\n",
                b.amount.currency,
                b.amount.abs().to_decimal_string(),
                if b.amount.minor < 0 { "DBIT" } else { "CRDT" },
                b.date
            ));
        }
    }
    for entry in &statement.entries {
        let dc = match entry.direction {
            Direction::Credit => "CRDT",
            Direction::Debit => "DBIT",
        };
        out.push_str(&format!(
            "<Ntry><Amt Ccy=\"{}\">{}</Amt><CdtDbtInd>{dc}</CdtDbtInd>{}<Sts>BOOK</Sts><BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt>",
            entry.amount.currency,
            entry.amount.to_decimal_string(),
            if entry.reversal { "<RvslInd>true</RvslInd>" } else { "" },
            entry.booking_date,
            entry.value_date.unwrap_or(entry.booking_date),
        ));
        if let Some(r) = &entry.servicer_ref {
            out.push_str(&format!("<AcctSvcrRef>{}</AcctSvcrRef>", esc(r)));
        }
        out.push_str("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>");
        for d in &entry.details {
            out.push_str("<TxDtls>");
            if let Some(e2e) = &d.end_to_end_id {
                out.push_str(&format!(
                    "<Refs><EndToEndId>{}</EndToEndId></Refs>",
                    esc(e2e)
                ));
            }
            if let Some(a) = d.amount {
                out.push_str(&format!(
                    "<AmtDtls><TxAmt><Amt Ccy=\"{}\">{}</Amt></TxAmt></AmtDtls>",
                    a.currency,
                    a.to_decimal_string()
                ));
            }
            let (party, account) = match entry.direction {
                Direction::Credit => ("Dbtr", "DbtrAcct"),
                Direction::Debit => ("Cdtr", "CdtrAcct"),
            };
            out.push_str("<RltdPties>");
            if let Some(name) = &d.counterparty_name {
                out.push_str(&format!("<{party}><Nm>{}</Nm></{party}>", esc(name)));
            }
            if let Some(iban) = &d.counterparty_account {
                out.push_str(&format!(
                    "<{account}><Id><IBAN>{}</IBAN></Id></{account}>",
                    esc(iban)
                ));
            }
            out.push_str("</RltdPties>");
            if d.remittance.is_some() || d.structured_reference.is_some() {
                out.push_str("<RmtInf>");
                if let Some(text) = &d.remittance {
                    out.push_str(&format!("<Ustrd>{}</Ustrd>", esc(text)));
                }
                if let Some(reference) = &d.structured_reference {
                    out.push_str(&format!(
                        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>CUR</Issr></Tp><Ref>{}</Ref></CdtrRefInf></Strd>",
                        esc(reference)
                    ));
                }
                out.push_str("</RmtInf>");
            }
            out.push_str("</TxDtls>");
        }
        out.push_str("</NtryDtls></Ntry>\n");
    }
    out.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINIMAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId></GrpHdr>
  <Stmt>
   <Id>S1</Id>
   <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Ntry>
    <NtryRef>E1</NtryRef>
    <Amt Ccy="EUR">150.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd>
    <Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><DtTm>2026-03-02T10:00:00</DtTm></BookgDt>
    <AcctSvcrRef>REF-1</AcctSvcrRef>
    <NtryDtls>
     <TxDtls>
      <Refs><EndToEndId>E2E-1</EndToEndId></Refs>
      <Amt Ccy="EUR">100.00</Amt>
      <RltdPties><Dbtr><Pty><Nm>Bakkerij De Vries</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>NL20INGB0001234567</IBAN></Id></DbtrAcct></RltdPties>
      <RmtInf><Strd><CdtrRefInf><Ref>5000056789012345</Ref></CdtrRefInf></Strd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Amt Ccy="EUR">50.00</Amt>
      <RmtInf><Ustrd>Factuur 2026-001</Ustrd><Ustrd>en 2026-002</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>"#;

    #[test]
    fn batch_entry_with_v8_paths() {
        let file = parse(MINIMAL).unwrap();
        assert_eq!(file.statements.len(), 1);
        let statement = &file.statements[0];
        assert_eq!(
            statement.format,
            StatementFormat::Camt {
                message: "053.001.08".into()
            }
        );
        assert_eq!(statement.account.as_deref(), Some("NL91ABNA0417164300"));
        let entry = &statement.entries[0];
        assert_eq!(entry.booking_date, Date::from_ymd(2026, 3, 2).unwrap());
        assert_eq!(entry.details.len(), 2);
        assert_eq!(entry.details[0].amount, Some(Money::eur(10_000)));
        assert_eq!(
            entry.details[0].counterparty_name.as_deref(),
            Some("Bakkerij De Vries")
        );
        assert_eq!(
            entry.details[0].structured_reference.as_deref(),
            Some("5000056789012345")
        );
        assert_eq!(
            entry.details[1].remittance.as_deref(),
            Some("Factuur 2026-001 en 2026-002")
        );
    }

    #[test]
    fn missing_amount_is_an_error_with_line_and_element() {
        let broken = MINIMAL.replace("<Amt Ccy=\"EUR\">150.00</Amt>", "");
        let err = parse(&broken).unwrap_err();
        assert_eq!(err.line, 8);
        assert_eq!(err.element.as_deref(), Some("Stmt/Ntry[1]"));
        assert!(err.message.contains("missing Amt"), "{err}");
    }

    #[test]
    fn write_then_read() {
        let statement = &parse(MINIMAL).unwrap().statements[0];
        let written = write_statement(statement, "M1");
        let again = parse(&written).unwrap();
        assert_eq!(again.statements[0].entries[0].details.len(), 2);
        assert_eq!(
            again.statements[0].entries[0].amount,
            statement.entries[0].amount
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_damaged_statements(cut in 0usize..2000, insert in "[<>/a-zA-Z0-9 .\"=]{0,12}") {
            let mut damaged = MINIMAL.to_string();
            let at = cut % damaged.len();
            if damaged.is_char_boundary(at) {
                damaged.insert_str(at, &insert);
            }
            let _ = parse(&damaged);
        }
    }
}
