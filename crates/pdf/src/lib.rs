//! Printed documents: a form's layout is data ([`Layout`]), a document is
//! the layout's field values ([`Values`]), and [`Engine::render`] draws one
//! or many documents into a PDF with a subset of the embedded Japanese font
//! (BIZ UD, SIL OFL, from Debian's packages).
//!
//! A character the font lacks is drawn as 〓 and reported back
//! ([`Substitution`]), so the caller can log it: never silently dropped,
//! never an empty box. Text is never cut: a long value is shrunk, then
//! condensed sideways; a paragraph or a list longer than its space is an
//! error.

pub mod layout;
pub mod lines;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use serde::{Deserialize, Serialize};
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider};

pub use layout::{Align, Face, Item, Layout, LayoutError, Paper};
use layout::{MM_PER_PT, PT_PER_MM};

/// The mark drawn for a character the font does not hold (ゲタ).
pub const GETA: char = '〓';

/// A document's content: named values, and named lists of rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Values {
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<BTreeMap<String, String>>>,
}

impl Values {
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.fields.insert(name.to_string(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.trim().is_empty())
            || self.lists.get(name).is_some_and(|l| !l.is_empty())
    }
}

/// One character drawn as [`GETA`] because the font lacks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Substitution {
    /// 0-based page of the rendered PDF
    pub page: usize,
    pub field: String,
    pub character: char,
}

impl Substitution {
    /// "U+20BB7", for logs and the issuance record.
    pub fn code_point(&self) -> String {
        format!("U+{:04X}", u32::from(self.character))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "font {path}: {reason} (install the fonts-morisawa-bizud-gothic and fonts-morisawa-bizud-mincho packages, or set KOKUHO_FONT_DIR)"
    )]
    Font { path: String, reason: String },
    #[error("{layout}: field {field} has no value")]
    MissingField { layout: String, field: String },
    #[error("{layout}: {what} needs {needed} lines, the form holds {room}")]
    DoesNotFit {
        layout: String,
        what: String,
        needed: usize,
        room: usize,
    },
    #[error("PDF: {0}")]
    Pdf(String),
}

/// One face, its bytes and the metrics for measuring.
struct FaceFile {
    data: Arc<Vec<u8>>,
    font: Font,
    upm: f32,
    /// baseline offset from the centre of the ideographic em box, in em
    centre_to_baseline: f32,
}

impl FaceFile {
    fn load(path: &Path) -> Result<FaceFile, PdfError> {
        let err = |reason: String| PdfError::Font {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let data = Arc::new(bytes);
        let (upm, centre_to_baseline) = {
            let f = FontRef::from_index(data.as_slice(), 0).map_err(|e| err(e.to_string()))?;
            let upm = f32::from(f.head().map_err(|e| err(e.to_string()))?.units_per_em());
            // The ideographic em box is bounded by the typographic ascender
            // and descender in CJK fonts (OS/2); centre the box, not the
            // Latin x-height, on the line's middle.
            let (asc, desc) = match f.os2() {
                Ok(os2) => (
                    f32::from(os2.s_typo_ascender()),
                    f32::from(os2.s_typo_descender()),
                ),
                Err(_) => (upm * 0.88, -upm * 0.12),
            };
            (upm, (asc + desc) / 2.0 / upm)
        };
        let font = Font::new(krilla::Data::from(data.clone()), 0)
            .ok_or_else(|| err("not a font krilla can read".into()))?;
        Ok(FaceFile {
            data,
            font,
            upm,
            centre_to_baseline,
        })
    }

    fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(self.data.as_slice(), 0).ok()
    }

    /// Whether the face holds each character of `text`, in order (the font
    /// read once for the whole text).
    fn coverage(&self, text: &str) -> Vec<bool> {
        match self.font_ref() {
            Some(f) => {
                let cmap = f.charmap();
                text.chars().map(|c| cmap.map(c).is_some()).collect()
            }
            None => vec![false; text.chars().count()],
        }
    }

    /// The advance at 1 pt, in points, of each character of `text`
    /// (variation selectors take none; a character the face lacks one em).
    fn advances(&self, text: &str) -> Vec<f32> {
        let Some(f) = self.font_ref() else {
            return vec![0.0; text.chars().count()];
        };
        let cmap = f.charmap();
        let metrics = f.glyph_metrics(Size::unscaled(), LocationRef::default());
        text.chars()
            .map(|c| {
                if is_variation_selector(c) {
                    0.0
                } else {
                    cmap.map(c)
                        .and_then(|g| metrics.advance_width(g))
                        .unwrap_or(self.upm)
                        / self.upm
                }
            })
            .collect()
    }

    /// Advance of `text` at 1 pt, in points.
    fn width(&self, text: &str) -> f32 {
        self.advances(text).iter().sum()
    }
}

fn is_variation_selector(c: char) -> bool {
    matches!(u32::from(c), 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// The faces documents are set in.
pub struct Fonts {
    gothic: FaceFile,
    gothic_bold: FaceFile,
    mincho: FaceFile,
}

/// Where Debian's packages put the BIZ UD fonts.
const SYSTEM_DIRS: [&str; 2] = [
    "/usr/share/fonts/truetype/bizud-gothic",
    "/usr/share/fonts/truetype/bizud-mincho",
];

impl Fonts {
    /// Finds the faces in `dir` (when given) and then in the system's font
    /// folders.
    pub fn locate(dir: Option<&Path>) -> Result<Fonts, PdfError> {
        let find = |name: &str| -> Result<PathBuf, PdfError> {
            let mut tried = Vec::new();
            for d in dir
                .map(Path::to_path_buf)
                .into_iter()
                .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
            {
                let p = d.join(name);
                if p.is_file() {
                    return Ok(p);
                }
                tried.push(p.display().to_string());
            }
            Err(PdfError::Font {
                path: name.to_string(),
                reason: format!("not found (looked at {})", tried.join(", ")),
            })
        };
        Ok(Fonts {
            gothic: FaceFile::load(&find("BIZUDGothic-Regular.ttf")?)?,
            gothic_bold: FaceFile::load(&find("BIZUDGothic-Bold.ttf")?)?,
            mincho: FaceFile::load(&find("BIZUDMincho-Regular.ttf")?)?,
        })
    }

    fn face(&self, f: Face) -> &FaceFile {
        match f {
            Face::Gothic => &self.gothic,
            Face::GothicBold => &self.gothic_bold,
            Face::Mincho => &self.mincho,
        }
    }
}

/// The forms kokuho ships, as their files (checked at load).
const BUILTIN: [(&str, &str); 11] = [
    (
        "eligibility-certificate.toml",
        include_str!("../layouts/eligibility-certificate.toml"),
    ),
    (
        "eligibility-notice.toml",
        include_str!("../layouts/eligibility-notice.toml"),
    ),
    (
        "limit-certificate.toml",
        include_str!("../layouts/limit-certificate.toml"),
    ),
    (
        "specified-disease-certificate.toml",
        include_str!("../layouts/specified-disease-certificate.toml"),
    ),
    (
        "benefit-decision.toml",
        include_str!("../layouts/benefit-decision.toml"),
    ),
    (
        "levy-notice.toml",
        include_str!("../layouts/levy-notice.toml"),
    ),
    (
        "high-cost-recommendation.toml",
        include_str!("../layouts/high-cost-recommendation.toml"),
    ),
    (
        "self-pay-certificate.toml",
        include_str!("../layouts/self-pay-certificate.toml"),
    ),
    (
        "recovery-notice.toml",
        include_str!("../layouts/recovery-notice.toml"),
    ),
    (
        "combined-care-result.toml",
        include_str!("../layouts/combined-care-result.toml"),
    ),
    (
        "batch-cover.toml",
        include_str!("../layouts/batch-cover.toml"),
    ),
];

/// The shipped forms, read and checked.
pub fn builtin_layouts() -> Result<Vec<Layout>, LayoutError> {
    BUILTIN
        .iter()
        .map(|(name, text)| Layout::from_toml(name, text))
        .collect()
}

/// One document to draw: its form and its values.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    pub layout: &'a Layout,
    pub values: &'a Values,
}

/// A rendered PDF and what had to be substituted in it.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub substitutions: Vec<Substitution>,
}

/// Draws documents.
pub struct Engine {
    fonts: Fonts,
}

fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

impl Engine {
    pub fn new(fonts: Fonts) -> Engine {
        Engine { fonts }
    }

    /// Whether every character of `text` can be drawn (for input checks).
    pub fn missing_characters(&self, text: &str) -> Vec<char> {
        let gothic = self.fonts.gothic.coverage(text);
        let mincho = self.fonts.mincho.coverage(text);
        text.chars()
            .zip(gothic.into_iter().zip(mincho))
            .filter(|(c, _)| !c.is_control() && !is_variation_selector(*c))
            .filter(|(_, (g, m))| !g || !m)
            .map(|(c, _)| c)
            .collect()
    }

    /// One PDF holding every page, in order. The output depends only on the
    /// layouts and values (no clock), so a reprint is byte for byte the first
    /// print.
    pub fn render(&self, pages: &[Page<'_>]) -> Result<Rendered, PdfError> {
        let mut doc = Document::new();
        let mut subs = Vec::new();
        for (index, p) in pages.iter().enumerate() {
            let (w, h) = p.layout.paper.mm();
            let settings = PageSettings::from_wh(mm(w), mm(h))
                .ok_or_else(|| PdfError::Pdf(format!("bad paper size {w} × {h}")))?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            let mut ctx = Ctx {
                fonts: &self.fonts,
                layout: p.layout,
                values: p.values,
                page: index,
                subs: &mut subs,
            };
            let drawn = ctx.draw_all(&mut surface);
            surface.finish();
            page.finish();
            drawn?;
        }
        let pdf = doc.finish().map_err(|e| PdfError::Pdf(format!("{e:?}")))?;
        Ok(Rendered {
            pdf,
            substitutions: subs,
        })
    }
}

struct Ctx<'a> {
    fonts: &'a Fonts,
    layout: &'a Layout,
    values: &'a Values,
    page: usize,
    subs: &'a mut Vec<Substitution>,
}

impl Ctx<'_> {
    fn missing(&self, field: &str) -> PdfError {
        PdfError::MissingField {
            layout: self.layout.kind.clone(),
            field: field.to_string(),
        }
    }

    /// The text as it can be drawn: controls become spaces, characters the
    /// face lacks become 〓 (and are reported).
    fn drawable(&mut self, face: Face, field: &str, text: &str) -> String {
        let held = self.fonts.face(face).coverage(text);
        text.chars()
            .zip(held)
            .map(|(c, held)| {
                if c == '\n' {
                    c
                } else if c.is_control() {
                    ' '
                } else if is_variation_selector(c) || held {
                    c
                } else {
                    self.subs.push(Substitution {
                        page: self.page,
                        field: field.to_string(),
                        character: c,
                    });
                    GETA
                }
            })
            .collect()
    }

    fn draw_all(&mut self, s: &mut Surface<'_>) -> Result<(), PdfError> {
        let layout = self.layout;
        for item in &layout.items {
            if let Some(w) = item.when()
                && !self.values.has(w)
            {
                continue;
            }
            self.draw(s, item)?;
        }
        Ok(())
    }

    fn draw(&mut self, s: &mut Surface<'_>, item: &Item) -> Result<(), PdfError> {
        match item {
            Item::Text {
                text,
                x,
                y,
                w,
                h,
                size,
                align,
                face,
                ..
            } => {
                let t = self.drawable(*face, "(fixed text)", text);
                self.line(s, *face, &t, *x, *y, *w, *h, *size, *size, *align);
            }
            Item::Field {
                field,
                x,
                y,
                w,
                h,
                size,
                min_size,
                align,
                face,
                optional,
                ..
            } => {
                let value = match self.values.get(field) {
                    Some(v) if !v.trim().is_empty() => v.to_string(),
                    _ if *optional => return Ok(()),
                    _ => return Err(self.missing(field)),
                };
                let t = self.drawable(*face, field, &value.replace('\n', " "));
                let min = min_size.unwrap_or(size * 0.6);
                self.line(s, *face, &t, *x, *y, Some(*w), *h, *size, min, *align);
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
                face,
                ..
            } => {
                let (name, raw) = match (text, field) {
                    (Some(t), _) => ("(fixed text)".to_string(), t.clone()),
                    (None, Some(f)) => (
                        f.clone(),
                        self.values
                            .get(f)
                            .map(str::to_string)
                            .ok_or_else(|| self.missing(f))?,
                    ),
                    (None, None) => return Ok(()),
                };
                let t = self.drawable(*face, &name, &raw);
                // Each character's advance, read from the font once.
                let advance: std::collections::HashMap<char, f32> =
                    t.chars().zip(self.fonts.face(*face).advances(&t)).collect();
                let lines = lines::break_lines(&t, mm(*w), |c| {
                    advance.get(&c).copied().unwrap_or(0.0) * size
                });
                if let Some(room) = max_lines
                    && lines.len() > *room
                {
                    return Err(PdfError::DoesNotFit {
                        layout: self.layout.kind.clone(),
                        what: name,
                        needed: lines.len(),
                        room: *room,
                    });
                }
                let pitch = leading.unwrap_or(size * 1.6 * MM_PER_PT);
                // One hanging mark (ぶら下げ) may pass the width; anything
                // wider is condensed, never run past the margin.
                let room = w + size * MM_PER_PT;
                for (i, l) in lines.iter().enumerate() {
                    let top = y + pitch * i as f32;
                    self.line(
                        s,
                        *face,
                        l,
                        *x,
                        top,
                        Some(room),
                        Some(pitch),
                        *size,
                        *size,
                        Align::Left,
                    );
                }
            }
            Item::Box {
                x, y, w, h, line, ..
            } => {
                let mut pb = PathBuilder::new();
                if let Some(r) = krilla::geom::Rect::from_xywh(mm(*x), mm(*y), mm(*w), mm(*h)) {
                    pb.push_rect(r);
                }
                stroke(s, pb, line.unwrap_or(0.5));
            }
            Item::Line {
                x1,
                y1,
                x2,
                y2,
                line,
                ..
            } => {
                let mut pb = PathBuilder::new();
                pb.move_to(mm(*x1), mm(*y1));
                pb.line_to(mm(*x2), mm(*y2));
                stroke(s, pb, line.unwrap_or(0.5));
            }
            Item::Rows {
                list,
                x,
                y,
                row_h,
                max_rows,
                size,
                face,
                columns,
            } => {
                let rows = self.values.lists.get(list).cloned().unwrap_or_default();
                if rows.len() > *max_rows {
                    return Err(PdfError::DoesNotFit {
                        layout: self.layout.kind.clone(),
                        what: list.clone(),
                        needed: rows.len(),
                        room: *max_rows,
                    });
                }
                for (i, row) in rows.iter().enumerate() {
                    let top = y + row_h * i as f32;
                    for c in columns {
                        let Some(v) = row.get(&c.key) else { continue };
                        let t = self.drawable(*face, &format!("{list}.{}", c.key), v);
                        self.line(
                            s,
                            *face,
                            &t,
                            x + c.dx,
                            top,
                            Some(c.w),
                            Some(*row_h),
                            *size,
                            size * 0.6,
                            c.align,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// One line of text in the box (x, y, w, h) in mm, centred vertically on
    /// the ideographic em box; too wide, it shrinks to `min` pt, then is
    /// condensed sideways.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        s: &mut Surface<'_>,
        face: Face,
        text: &str,
        x: f32,
        y: f32,
        w: Option<f32>,
        h: Option<f32>,
        size: f32,
        min: f32,
        align: Align,
    ) {
        if text.is_empty() {
            return;
        }
        let f = self.fonts.face(face);
        let em = f.width(text);
        let mut size = size;
        let mut squeeze = 1.0f32;
        if let Some(w) = w {
            let room = mm(w);
            if em * size > room && em > 0.0 {
                size = (room / em).max(min);
                if em * size > room {
                    squeeze = room / (em * size);
                }
            }
        }
        let width = em * size * squeeze;
        let left = mm(x);
        let start = match (align, w) {
            (Align::Left, _) | (_, None) => left,
            (Align::Center, Some(w)) => left + (mm(w) - width) / 2.0,
            (Align::Right, Some(w)) => left + mm(w) - width,
        };
        let box_h = mm(h.unwrap_or(size * 1.25 * MM_PER_PT));
        let centre = mm(y) + box_h / 2.0;
        let baseline = centre + f.centre_to_baseline * size;
        let pushed = squeeze < 1.0;
        if pushed {
            s.push_transform(&Transform::from_row(
                squeeze,
                0.0,
                0.0,
                1.0,
                start * (1.0 - squeeze),
                0.0,
            ));
        }
        s.draw_text(
            Point::from_xy(start, baseline),
            f.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
        if pushed {
            s.pop();
        }
    }
}

fn stroke(s: &mut Surface<'_>, pb: PathBuilder, width: f32) {
    let Some(path) = pb.finish() else { return };
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        width,
        ..Stroke::default()
    }));
    s.draw_path(&path);
    s.set_stroke(None);
    s.set_fill(Some(Fill::default()));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn engine() -> Engine {
        Engine::new(
            Fonts::locate(
                std::env::var_os("KOKUHO_FONT_DIR")
                    .as_deref()
                    .map(Path::new),
            )
            .unwrap(),
        )
    }

    const FORM: &str = r#"
kind = "sample"
title = "見本"
follows = "none"
version = 1
paper = "a5"
[[item]]
type = "text"
text = "国民健康保険　見本"
x = 10.0
y = 10.0
size = 14.0
face = "gothic-bold"
[[item]]
type = "field"
field = "name"
x = 10.0
y = 20.0
w = 40.0
size = 12.0
[[item]]
type = "field"
field = "note"
x = 10.0
y = 30.0
w = 40.0
size = 10.0
optional = true
[[item]]
type = "text"
text = "限度額区分あり"
x = 10.0
y = 40.0
size = 10.0
when = "limit"
[[item]]
type = "box"
x = 5.0
y = 5.0
w = 138.0
h = 50.0
"#;

    #[test]
    fn draws_a_subset_font_and_reports_a_missing_character() {
        let e = engine();
        let layout = Layout::from_toml("sample", FORM).unwrap();
        let mut v = Values::default();
        v.set("name", "𠮷田　髙﨑");
        let r = e
            .render(&[Page {
                layout: &layout,
                values: &v,
            }])
            .unwrap();
        assert!(r.pdf.starts_with(b"%PDF-"));
        assert_eq!(
            r.substitutions,
            vec![Substitution {
                page: 0,
                field: "name".into(),
                character: '𠮷'
            }]
        );
        assert_eq!(r.substitutions[0].code_point(), "U+20BB7");
        // The same values draw the same bytes (a reprint is exact).
        let again = e
            .render(&[Page {
                layout: &layout,
                values: &v,
            }])
            .unwrap();
        assert_eq!(r.pdf, again.pdf);
        // A font subset, not the 4.6 MB face.
        assert!(r.pdf.len() < 60_000, "{} bytes", r.pdf.len());
    }

    #[test]
    fn a_missing_value_is_an_error_unless_optional() {
        let e = engine();
        let layout = Layout::from_toml("sample", FORM).unwrap();
        let err = e
            .render(&[Page {
                layout: &layout,
                values: &Values::default(),
            }])
            .unwrap_err();
        assert!(
            matches!(err, PdfError::MissingField { ref field, .. } if field == "name"),
            "{err}"
        );
    }

    #[test]
    fn every_shipped_form_loads() {
        let all = builtin_layouts().unwrap();
        let kinds: Vec<&str> = all.iter().map(|l| l.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "eligibility-certificate",
                "eligibility-notice",
                "limit-certificate",
                "specified-disease-certificate",
                "benefit-decision",
                "levy-notice",
                "high-cost-recommendation",
                "self-pay-certificate",
                "recovery-notice",
                "combined-care-result",
                "batch-cover"
            ]
        );
    }

    #[test]
    fn knows_which_characters_it_cannot_draw() {
        let e = engine();
        assert_eq!(e.missing_characters("髙橋 𠮷野 ①"), vec!['𠮷']);
    }

    #[test]
    fn too_many_rows_is_an_error_never_a_cut() {
        let e = engine();
        let form = format!(
            "{FORM}\n[[item]]\ntype = \"rows\"\nlist = \"r\"\nx = 10.0\ny = 60.0\nrow_h = 5.0\nmax_rows = 2\nsize = 9.0\ncolumns = [{{ key = \"a\", dx = 0.0, w = 30.0 }}]\n"
        );
        let layout = Layout::from_toml("sample", &form).unwrap();
        let mut v = Values::default();
        v.set("name", "山田");
        let row = BTreeMap::from([("a".to_string(), "x".to_string())]);
        v.lists
            .insert("r".into(), vec![row.clone(), row.clone(), row]);
        let err = e
            .render(&[Page {
                layout: &layout,
                values: &v,
            }])
            .unwrap_err();
        assert!(
            matches!(
                err,
                PdfError::DoesNotFit {
                    needed: 3,
                    room: 2,
                    ..
                }
            ),
            "{err}"
        );
    }
}
