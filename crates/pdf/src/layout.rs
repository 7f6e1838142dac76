//! A form's layout as data: the paper, and the items drawn on it (fixed
//! text, fields filled from the document's values, paragraphs, ruled boxes
//! and lines, and rows of a list). Positions are millimetres from the page's
//! top-left corner, type sizes points — the units a form's designer measures
//! a ministry sample in.

use std::collections::BTreeSet;

use serde::Deserialize;

/// Which of the embedded faces an item is set in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Face {
    #[default]
    Gothic,
    GothicBold,
    Mincho,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// The paper: a named size or explicit millimetres.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Paper {
    Named(NamedPaper),
    Size { width_mm: f32, height_mm: f32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedPaper {
    /// 210 × 297 mm
    A4,
    /// 148 × 210 mm
    A5,
    /// ID-1 card, 85.6 × 54 mm (JIS X 6301), the size of the old insurance card
    Card,
}

impl Paper {
    /// (width, height) in millimetres.
    pub fn mm(self) -> (f32, f32) {
        match self {
            Paper::Named(NamedPaper::A4) => (210.0, 297.0),
            Paper::Named(NamedPaper::A5) => (148.0, 210.0),
            Paper::Named(NamedPaper::Card) => (85.6, 54.0),
            Paper::Size {
                width_mm,
                height_mm,
            } => (width_mm, height_mm),
        }
    }
}

/// One column of a list's rows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// the key of each row's value
    pub key: String,
    /// offset from the rows' x
    pub dx: f32,
    pub w: f32,
    #[serde(default)]
    pub align: Align,
}

/// What is drawn.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Item {
    /// Fixed text (a caption, a heading).
    Text {
        text: String,
        x: f32,
        y: f32,
        w: Option<f32>,
        h: Option<f32>,
        size: f32,
        #[serde(default)]
        align: Align,
        #[serde(default)]
        face: Face,
        /// drawn only when this field has a value
        when: Option<String>,
    },
    /// A value of the document, on one line in its box: shrunk down to
    /// `min_size`, then condensed sideways, never cut.
    Field {
        field: String,
        x: f32,
        y: f32,
        w: f32,
        h: Option<f32>,
        size: f32,
        min_size: Option<f32>,
        #[serde(default)]
        align: Align,
        #[serde(default)]
        face: Face,
        /// an empty or absent value leaves the box blank instead of failing
        #[serde(default)]
        optional: bool,
        when: Option<String>,
    },
    /// Running text broken into lines (禁則 observed); from fixed text or a
    /// field; '\n' forces a break.
    Paragraph {
        text: Option<String>,
        field: Option<String>,
        x: f32,
        y: f32,
        w: f32,
        size: f32,
        /// line pitch in mm (default 1.6 × the size)
        leading: Option<f32>,
        /// the most lines the space holds; more is an error, never a cut
        max_lines: Option<usize>,
        #[serde(default)]
        face: Face,
        when: Option<String>,
    },
    /// A ruled rectangle.
    Box {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        /// line width in points
        line: Option<f32>,
        when: Option<String>,
    },
    /// A ruled line.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        line: Option<f32>,
        when: Option<String>,
    },
    /// The rows of a list value, one per line; more rows than `max_rows` is
    /// an error, never a cut.
    Rows {
        list: String,
        x: f32,
        y: f32,
        row_h: f32,
        max_rows: usize,
        size: f32,
        #[serde(default)]
        face: Face,
        columns: Vec<Column>,
    },
}

impl Item {
    pub fn when(&self) -> Option<&str> {
        match self {
            Item::Text { when, .. }
            | Item::Field { when, .. }
            | Item::Paragraph { when, .. }
            | Item::Box { when, .. }
            | Item::Line { when, .. } => when.as_deref(),
            Item::Rows { .. } => None,
        }
    }
}

/// A form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// the document kind it draws (kebab-case English)
    pub kind: String,
    /// the form's Japanese title
    pub title: String,
    /// which published sample it follows, for docs/documents.md
    pub follows: String,
    /// bumped whenever the drawing changes, recorded with each issue
    pub version: u32,
    pub paper: Paper,
    #[serde(rename = "item", default)]
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("layout {source_name}: {reason}")]
pub struct LayoutError {
    pub source_name: String,
    pub reason: String,
}

fn positive(v: f32) -> bool {
    v.is_finite() && v > 0.0
}

fn non_negative(v: f32) -> bool {
    v.is_finite() && v >= 0.0
}

impl Layout {
    /// Reads and checks a layout; `source_name` names the file in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Layout, LayoutError> {
        let err = |reason: String| LayoutError {
            source_name: source_name.to_string(),
            reason,
        };
        let layout: Layout = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        layout.validate().map_err(err)?;
        Ok(layout)
    }

    /// Every item on the paper, sizes positive, names non-empty.
    fn validate(&self) -> Result<(), String> {
        if self.kind.is_empty()
            || !self
                .kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("kind {:?} is not kebab-case", self.kind));
        }
        let (pw, ph) = self.paper.mm();
        if !positive(pw) || !positive(ph) {
            return Err("paper size must be positive".into());
        }
        let inside = |i: usize, x: f32, y: f32, w: f32, h: f32| -> Result<(), String> {
            if !non_negative(x) || !non_negative(y) || !non_negative(w) || !non_negative(h) {
                return Err(format!(
                    "item {}: positions and sizes must be non-negative",
                    i + 1
                ));
            }
            // A tenth of a millimetre of slack for rounding in the file.
            if x + w > pw + 0.1 || y + h > ph + 0.1 {
                return Err(format!(
                    "item {}: reaches past the paper ({x}+{w} × {y}+{h} on {pw} × {ph} mm)",
                    i + 1
                ));
            }
            Ok(())
        };
        let text_h = |size: f32| size * 1.25 * MM_PER_PT;
        for (i, item) in self.items.iter().enumerate() {
            let size_ok = |s: f32| -> Result<(), String> {
                if positive(s) && s <= 72.0 {
                    Ok(())
                } else {
                    Err(format!("item {}: type size {s} pt out of range", i + 1))
                }
            };
            match item {
                Item::Text {
                    text,
                    x,
                    y,
                    w,
                    h,
                    size,
                    ..
                } => {
                    size_ok(*size)?;
                    if text.is_empty() {
                        return Err(format!("item {}: empty text", i + 1));
                    }
                    inside(i, *x, *y, w.unwrap_or(0.0), h.unwrap_or(text_h(*size)))?;
                }
                Item::Field {
                    field,
                    x,
                    y,
                    w,
                    h,
                    size,
                    min_size,
                    ..
                } => {
                    size_ok(*size)?;
                    if let Some(m) = min_size
                        && !(positive(*m) && *m <= *size)
                    {
                        return Err(format!("item {}: min_size must be within (0, size]", i + 1));
                    }
                    if field.is_empty() || !positive(*w) {
                        return Err(format!("item {}: a field needs a name and a width", i + 1));
                    }
                    inside(i, *x, *y, *w, h.unwrap_or(text_h(*size)))?;
                }
                Item::Paragraph {
                    text,
                    field,
                    x,
                    y,
                    w,
                    size,
                    leading,
                    max_lines,
                    ..
                } => {
                    size_ok(*size)?;
                    if text.is_some() == field.is_some() {
                        return Err(format!(
                            "item {}: a paragraph has either text or a field",
                            i + 1
                        ));
                    }
                    let Some(lines) = max_lines.filter(|n| *n > 0) else {
                        return Err(format!(
                            "item {}: a paragraph needs max_lines (the lines its space holds)",
                            i + 1
                        ));
                    };
                    let lines = lines as f32;
                    let pitch = leading.unwrap_or(size * 1.6 * MM_PER_PT);
                    if !positive(pitch) || !positive(*w) {
                        return Err(format!(
                            "item {}: leading and width must be positive",
                            i + 1
                        ));
                    }
                    inside(i, *x, *y, *w, pitch * lines)?;
                }
                Item::Box { x, y, w, h, .. } => inside(i, *x, *y, *w, *h)?,
                Item::Line { x1, y1, x2, y2, .. } => inside(
                    i,
                    x1.min(*x2),
                    y1.min(*y2),
                    (x2 - x1).abs(),
                    (y2 - y1).abs(),
                )?,
                Item::Rows {
                    list,
                    x,
                    y,
                    row_h,
                    max_rows,
                    size,
                    columns,
                    ..
                } => {
                    size_ok(*size)?;
                    if list.is_empty() || columns.is_empty() || *max_rows == 0 || !positive(*row_h)
                    {
                        return Err(format!(
                            "item {}: rows need a list, columns, max_rows and row_h",
                            i + 1
                        ));
                    }
                    for c in columns {
                        inside(i, x + c.dx, *y, c.w, row_h * *max_rows as f32)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The field names the layout reads (lists by their name), so a
    /// document's builder can be checked against its form.
    pub fn field_names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for item in &self.items {
            if let Some(w) = item.when() {
                out.insert(w.to_string());
            }
            match item {
                Item::Field { field, .. } => {
                    out.insert(field.clone());
                }
                Item::Paragraph { field: Some(f), .. } => {
                    out.insert(f.clone());
                }
                Item::Rows { list, .. } => {
                    out.insert(list.clone());
                }
                _ => {}
            }
        }
        out
    }
}

pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;
pub(crate) const PT_PER_MM: f32 = 72.0 / 25.4;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const OK: &str = r#"
kind = "sample"
title = "見本"
follows = "none"
version = 1
paper = "a4"
[[item]]
type = "text"
text = "見本"
x = 10.0
y = 10.0
size = 12.0
[[item]]
type = "field"
field = "name"
x = 10.0
y = 20.0
w = 50.0
size = 10.0
"#;

    #[test]
    fn reads_a_layout_and_names_its_fields() {
        let l = Layout::from_toml("ok.toml", OK).unwrap();
        assert_eq!(l.items.len(), 2);
        assert_eq!(l.paper.mm(), (210.0, 297.0));
        assert_eq!(
            l.field_names().into_iter().collect::<Vec<_>>(),
            vec!["name".to_string()]
        );
    }

    #[test]
    fn refuses_an_item_off_the_paper() {
        let bad = OK.replace(
            "x = 10.0\ny = 20.0\nw = 50.0",
            "x = 180.0\ny = 20.0\nw = 50.0",
        );
        let e = Layout::from_toml("bad.toml", &bad).unwrap_err();
        assert!(
            e.reason.contains("item 2") && e.reason.contains("past the paper"),
            "{e}"
        );
        assert_eq!(e.source_name, "bad.toml");
    }

    #[test]
    fn refuses_unknown_keys_and_bad_sizes() {
        let e = Layout::from_toml("x", &OK.replace("size = 12.0", "size = 0.0")).unwrap_err();
        assert!(e.reason.contains("type size"), "{e}");
        let e = Layout::from_toml("x", &OK.replace("size = 12.0", "size = 12.0\ncolour = 1"))
            .unwrap_err();
        assert!(e.reason.contains("colour"), "{e}");
        let e = Layout::from_toml(
            "x",
            &OK.replace("kind = \"sample\"", "kind = \"Sample Kind\""),
        )
        .unwrap_err();
        assert!(e.reason.contains("kebab-case"), "{e}");
    }
}
