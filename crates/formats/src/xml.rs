//! A small element tree over quick-xml, for the XML formats (CAMT, UBL).
//!
//! Bank and e-invoice files are read element by element: a streaming
//! reader finds the interesting elements (a statement entry, an invoice) and
//! builds a tree of just that subtree, which is then read by local name,
//! ignoring namespace prefixes. Positions are byte offsets, turned into line
//! numbers for error messages.
//!
//! Nesting is limited to [`MAX_DEPTH`] levels: a hostile file of a few
//! hundred kilobytes can nest elements a hundred thousand deep, and the
//! derived `Clone`, `Debug` and `PartialEq` of [`Element`] recurse once per
//! level (as the default `Drop` did; ours is iterative). Refusing such a file
//! early, with the path where it happened, keeps every tree this module
//! builds shallow, so no recursive walk over it can overflow the stack.

use std::fmt;

use quick_xml::events::{BytesStart, Event};

/// How deep elements may nest, counting the document element as level 1.
///
/// Real files nest about a dozen levels: the deepest of the 400 XML files
/// in the test corpus (CAMT, UBL, pain) has 13, e.g. camt.053
/// `Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RltdPties/Dbtr/Pty/PstlAdr/AdrLine`.
/// 64 leaves room for extensions and wrappers several times over, while a
/// recursive walk over a 64-deep tree (cloning, printing, comparing) needs
/// a few kilobytes of stack even in a debug build on a small worker thread.
pub const MAX_DEPTH: usize = 64;

/// An element with its local name, attributes, text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    /// The element's own text (not its children's), trimmed.
    pub text: String,
    pub children: Vec<Element>,
    /// Byte offset of the start tag in the source.
    pub offset: u64,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        let mut node = self;
        for name in path {
            node = node.child(name)?;
        }
        Some(node)
    }

    /// The non-empty text at a path of child names.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every descendant (depth first, in document order) with this name.
    /// Iterative, so that no tree can overflow the stack.
    pub fn descendants<'a>(&'a self, name: &'a str, out: &mut Vec<&'a Element>) {
        let mut stack: Vec<&'a Element> = self.children.iter().rev().collect();
        while let Some(node) = stack.pop() {
            if node.name == name {
                out.push(node);
            }
            stack.extend(node.children.iter().rev());
        }
    }
}

impl Drop for Element {
    /// Frees the tree without recursing, so that even a tree built by hand
    /// deeper than [`MAX_DEPTH`] cannot overflow the stack when dropped.
    fn drop(&mut self) {
        if self.children.iter().all(|c| c.children.is_empty()) {
            return;
        }
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut node) = pending.pop() {
            pending.append(&mut node.children);
        }
    }
}

/// An XML file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub line: u64,
    /// The path of elements where reading stopped (local names joined by
    /// `/`, shortened with `…` in the middle when long), when it matters.
    pub element: Option<String>,
    pub message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(element) = &self.element {
            write!(f, ", {element}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for XmlError {}

/// A start tag as the streaming reader saw it.
#[derive(Debug, Clone)]
pub struct Start {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub offset: u64,
    /// `<x/>`: there is no content and no end tag.
    pub empty: bool,
}

/// A streaming reader that hands out start tags and can read a whole subtree.
pub struct XmlReader<'a> {
    reader: quick_xml::Reader<&'a [u8]>,
    source: &'a str,
    /// Local names of the open elements.
    stack: Vec<String>,
    /// The last (offset, line) asked for: line numbers are counted onwards
    /// from there, so a streaming read stays linear in the file size.
    line_cursor: std::cell::Cell<(usize, u64)>,
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => name.to_string(),
    }
}

fn attributes(start: &BytesStart<'_>) -> Vec<(String, String)> {
    start
        .attributes()
        .flatten()
        .map(|a| {
            let raw: &str = &a.value;
            let value = quick_xml::escape::unescape(raw)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| raw.to_string());
            (local(a.key.as_ref()), value)
        })
        .collect()
}

impl<'a> XmlReader<'a> {
    pub fn new(source: &'a str) -> XmlReader<'a> {
        let reader = quick_xml::Reader::from_str(source);
        XmlReader {
            reader,
            source,
            stack: Vec::new(),
            line_cursor: std::cell::Cell::new((0, 1)),
        }
    }

    /// The line (1-based) of a byte offset.
    pub fn line_of(&self, offset: u64) -> u64 {
        let end = (offset as usize).min(self.source.len());
        let (mut from, mut line) = self.line_cursor.get();
        if end < from {
            (from, line) = (0, 1);
        }
        line += self.source.as_bytes()[from..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.line_cursor.set((end, line));
        line
    }

    pub fn error(&self, offset: u64, message: impl Into<String>) -> XmlError {
        let message = message.into();
        XmlError {
            line: self.line_of(offset),
            element: None,
            message: crate::text::shorten(&message, crate::text::MAX_MESSAGE).into_owned(),
        }
    }

    /// The error for an element at `offset` that would open level
    /// [`MAX_DEPTH`] + 1; `path` is the open elements, outermost first,
    /// ending with the one that is too deep.
    fn too_deep<'n>(&self, offset: u64, path: impl IntoIterator<Item = &'n str>) -> XmlError {
        XmlError {
            line: self.line_of(offset),
            element: Some(short_path(path)),
            message: format!("XML nested deeper than {MAX_DEPTH} levels"),
        }
    }

    /// Local names of the elements enclosing the current position.
    pub fn path(&self) -> &[String] {
        &self.stack
    }

    /// How many elements are open.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The next start tag that is a direct child of the element open at
    /// `depth` (see [`Self::depth`]), or `None` when that element ends. The
    /// caller reads each child with [`Self::read_element`].
    pub fn next_child(&mut self, depth: usize) -> Result<Option<Start>, XmlError> {
        loop {
            let offset = self.reader.buffer_position();
            let event = self.reader.read_event().map_err(|e| self.malformed(e))?;
            match event {
                Event::Start(start) => {
                    let name = local(start.name().as_ref());
                    self.push(offset, &name)?;
                    let attributes = attributes(&start);
                    if self.stack.len() == depth + 1 {
                        return Ok(Some(Start {
                            name,
                            attributes,
                            offset,
                            empty: false,
                        }));
                    }
                }
                Event::Empty(start) if self.stack.len() == depth => {
                    let name = local(start.name().as_ref());
                    self.check_room(offset, &name)?;
                    return Ok(Some(Start {
                        name,
                        attributes: attributes(&start),
                        offset,
                        empty: true,
                    }));
                }
                Event::End(_) => {
                    self.stack.pop();
                    if self.stack.len() < depth {
                        return Ok(None);
                    }
                }
                Event::Eof => {
                    let open = self.stack.last().cloned().unwrap_or_default();
                    return Err(self.error(offset, format!("the file ends inside <{open}>")));
                }
                _ => {}
            }
        }
    }

    /// Refuses an element that would open one level deeper than allowed
    /// below the streaming path.
    fn check_room(&self, offset: u64, name: &str) -> Result<(), XmlError> {
        if self.stack.len() >= MAX_DEPTH {
            let path = self.stack.iter().map(String::as_str).chain([name]);
            return Err(self.too_deep(offset, path));
        }
        Ok(())
    }

    /// The error for an element `name` at `offset` inside a subtree being
    /// read: `above` streaming levels, then the open elements of the
    /// subtree (its root shown as `label`).
    fn subtree_too_deep(
        &self,
        offset: u64,
        above: usize,
        label: &str,
        open: &[Element],
        name: &str,
    ) -> XmlError {
        let path = self.stack[..above.min(self.stack.len())]
            .iter()
            .map(String::as_str)
            .chain([label])
            .chain(open.iter().skip(1).map(|e| e.name.as_str()))
            .chain([name]);
        self.too_deep(offset, path)
    }

    /// Opens an element of the streaming path, refusing one too deep.
    fn push(&mut self, offset: u64, name: &str) -> Result<(), XmlError> {
        self.check_room(offset, name)?;
        self.stack.push(name.to_string());
        Ok(())
    }

    fn malformed(&self, e: quick_xml::Error) -> XmlError {
        let offset = self.reader.buffer_position();
        self.error(offset, format!("not well-formed XML: {e}"))
    }

    /// The next start tag, or `None` at the end of the input. End tags are
    /// consumed along the way (and checked against the open elements).
    pub fn next_start(&mut self) -> Result<Option<Start>, XmlError> {
        loop {
            let offset = self.reader.buffer_position();
            let event = self.reader.read_event().map_err(|e| self.malformed(e))?;
            match event {
                Event::Start(start) => {
                    let name = local(start.name().as_ref());
                    self.push(offset, &name)?;
                    let attributes = attributes(&start);
                    return Ok(Some(Start {
                        name,
                        attributes,
                        offset,
                        empty: false,
                    }));
                }
                Event::Empty(start) => {
                    let name = local(start.name().as_ref());
                    self.check_room(offset, &name)?;
                    return Ok(Some(Start {
                        name,
                        attributes: attributes(&start),
                        offset,
                        empty: true,
                    }));
                }
                Event::End(end) => {
                    let name = local(end.name().as_ref());
                    match self.stack.pop() {
                        Some(open) if open == name => {}
                        Some(open) => {
                            return Err(self.error(offset, format!("</{name}> closes <{open}>")));
                        }
                        None => {
                            return Err(
                                self.error(offset, format!("</{name}> without an opening tag"))
                            );
                        }
                    }
                }
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        return Err(self.error(offset, format!("the file ends inside <{open}>")));
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// Reads the content of `start` (just returned by [`Self::next_start`])
    /// up to its end tag, as a tree.
    pub fn read_element(&mut self, start: Start) -> Result<Element, XmlError> {
        let label = start.name.clone();
        self.read_element_as(start, &label)
    }

    /// [`Self::read_element`], naming the element `label` in error paths
    /// (such as `Ntry[3]` for the third entry).
    pub fn read_element_as(&mut self, start: Start, label: &str) -> Result<Element, XmlError> {
        // Levels open above the element: the streaming path, which holds
        // the element itself unless it is empty.
        let above = if start.empty {
            self.stack.len()
        } else {
            self.stack.len().saturating_sub(1)
        };
        let root = Element {
            name: start.name,
            attributes: start.attributes,
            text: String::new(),
            children: Vec::new(),
            offset: start.offset,
        };
        if start.empty {
            return Ok(root);
        }
        // The open elements, innermost last; `root` is the first.
        let mut open: Vec<Element> = vec![root];
        loop {
            let offset = self.reader.buffer_position();
            let event = self.reader.read_event().map_err(|e| self.malformed(e))?;
            match event {
                Event::Start(s) => {
                    let name = local(s.name().as_ref());
                    if above + open.len() >= MAX_DEPTH {
                        return Err(self.subtree_too_deep(offset, above, label, &open, &name));
                    }
                    open.push(Element {
                        name,
                        attributes: attributes(&s),
                        text: String::new(),
                        children: Vec::new(),
                        offset,
                    });
                }
                Event::Empty(s) => {
                    let name = local(s.name().as_ref());
                    if above + open.len() >= MAX_DEPTH {
                        return Err(self.subtree_too_deep(offset, above, label, &open, &name));
                    }
                    let child = Element {
                        name,
                        attributes: attributes(&s),
                        text: String::new(),
                        children: Vec::new(),
                        offset,
                    };
                    if let Some(parent) = open.last_mut() {
                        parent.children.push(child);
                    }
                }
                Event::Text(t) => {
                    if let Some(current) = open.last_mut() {
                        current
                            .text
                            .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                    }
                }
                Event::CData(c) => {
                    if let Some(current) = open.last_mut() {
                        current
                            .text
                            .push_str(&c.xml_content(quick_xml::XmlVersion::Implicit1_0));
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        Ok(None) => {
                            let name = r.into_inner();
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(text) => text.to_string(),
                                None => {
                                    return Err(
                                        self.error(offset, format!("unknown entity &{name};"))
                                    );
                                }
                            }
                        }
                        Err(e) => {
                            return Err(self.error(offset, format!("bad character reference: {e}")));
                        }
                    };
                    if let Some(current) = open.last_mut() {
                        current.text.push_str(&resolved);
                    }
                }
                Event::End(end) => {
                    let name = local(end.name().as_ref());
                    let mut done = open.pop().expect("the root stays open until its end");
                    if done.name != name {
                        return Err(self.error(offset, format!("</{name}> closes <{}>", done.name)));
                    }
                    done.text = done.text.trim().to_string();
                    match open.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => {
                            self.stack.pop();
                            return Ok(done);
                        }
                    }
                }
                Event::Eof => {
                    let inner = open.last().map(|e| e.name.clone()).unwrap_or_default();
                    return Err(self.error(offset, format!("the file ends inside <{inner}>")));
                }
                _ => {}
            }
        }
    }
}

/// An element path for a message: names joined by `/`; a long path keeps
/// its first six and its last name, with `…` for the ones between (and a
/// long name its start and end).
fn short_path<'n>(path: impl IntoIterator<Item = &'n str>) -> String {
    const HEAD: usize = 6;
    let names: Vec<std::borrow::Cow<'n, str>> = path
        .into_iter()
        .map(|name| crate::text::shorten(name, 40))
        .collect();
    if names.len() <= HEAD + 2 {
        return names.join("/");
    }
    let mut out = names[..HEAD].join("/");
    out.push_str("/…/");
    out.push_str(&names[names.len() - 1]);
    out
}

/// Reads a whole document into a tree (for documents of modest size, such
/// as one e-invoice). Comments, declarations and processing instructions are
/// skipped.
pub fn parse_document(source: &str) -> Result<Element, XmlError> {
    let mut reader = XmlReader::new(source);
    match reader.next_start()? {
        Some(start) => reader.read_element(start),
        None => Err(XmlError {
            line: 1,
            element: None,
            message: "no XML element in the file".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tree_with_prefixes_entities_and_attributes() {
        let doc = r#"<?xml version="1.0"?>
<ns:Doc xmlns:ns="urn:x"><ns:A Ccy='EUR'>12.50</ns:A><B>Tom &amp; Jerry &#233;<C/></B><!-- c --></ns:Doc>"#;
        let root = parse_document(doc).unwrap();
        assert_eq!(root.name, "Doc");
        assert_eq!(root.text_at(&["A"]), Some("12.50"));
        assert_eq!(root.at(&["A"]).unwrap().attribute("Ccy"), Some("EUR"));
        assert_eq!(root.text_at(&["B"]), Some("Tom & Jerry é"));
        assert!(root.at(&["B", "C"]).is_some());
    }

    #[test]
    fn errors_have_lines() {
        let err = parse_document("<a>\n<b>\n</a>").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("expected `</b>`"), "{err}");
        let err = parse_document("<a><b></b>").unwrap_err();
        assert!(err.message.contains("ends inside <a>"), "{err}");
        assert!(parse_document("just text").is_err());
    }

    fn nested(depth: usize) -> String {
        format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
    }

    #[test]
    fn nesting_is_limited_with_the_path_in_the_error() {
        let root = parse_document(&nested(MAX_DEPTH)).unwrap();
        let mut found = Vec::new();
        root.descendants("a", &mut found);
        assert_eq!(found.len(), MAX_DEPTH - 1);
        let err = parse_document(&format!("<r>\n{}", nested(MAX_DEPTH))).unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.message, "XML nested deeper than 64 levels");
        assert_eq!(err.element.as_deref(), Some("r/a/a/a/a/a/…/a"));
        assert!(
            err.to_string()
                .starts_with("line 2, r/a/a/a/a/a/…/a: XML nested")
        );
        // An empty element one level too deep is refused as well.
        let doc = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(
            parse_document(&doc)
                .unwrap_err()
                .message
                .contains("nested deeper")
        );
        // And so is a deep document read as a stream.
        let doc = nested(100_000);
        let mut reader = XmlReader::new(&doc);
        let err = loop {
            match reader.next_start() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("read to the end"),
                Err(e) => break e,
            }
        };
        assert!(err.message.contains("nested deeper"), "{err}");
        assert_eq!(reader.depth(), MAX_DEPTH);
    }

    #[test]
    fn a_deep_tree_built_by_hand_drops_and_searches_without_recursion() {
        let mut tree = Element::default();
        for _ in 0..200_000 {
            tree = Element {
                name: "a".into(),
                attributes: Vec::new(),
                text: String::new(),
                children: vec![tree],
                offset: 0,
            };
        }
        let mut found = Vec::new();
        tree.descendants("a", &mut found);
        assert_eq!(found.len(), 199_999);
        drop(found);
        drop(tree);
    }

    #[test]
    fn descendants_come_in_document_order() {
        let root = parse_document("<r><a i='1'><a i='2'/></a><b><a i='3'/></b></r>").unwrap();
        let mut found = Vec::new();
        root.descendants("a", &mut found);
        let order: Vec<_> = found.iter().filter_map(|e| e.attribute("i")).collect();
        assert_eq!(order, ["1", "2", "3"]);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = parse_document(&text);
        }

        #[test]
        fn never_panics_on_tag_soup(parts in proptest::collection::vec("<[a-c]>|</[a-c]>|<[a-c]/>|&amp;|&#[0-9x]{0,4};|&[a-z]{0,3};|[a-z ]{0,3}", 0..30)) {
            let _ = parse_document(&parts.concat());
        }
    }
}
