//! The charts a council asks about, drawn as SVG from a yearly report:
//! insured and households by month, cost per insured by setting, the
//! high-cost benefit by month, the levy against its reductions, and the
//! age pyramid. Each chart carries the table it is drawn from, so the
//! screen can show it beside and offer it as CSV.

use kokuho_domain::statistics::{
    CLAIM_LINES, Cell, Column, MonthTrend, Report, Row, Table, Unit, grouped,
};
use plotters::prelude::*;

/// One chart: its key (file name), title, the SVG and its table.
#[derive(Clone, Debug)]
pub struct Chart {
    pub key: &'static str,
    pub title: String,
    pub svg: String,
    pub table: Table,
}

#[derive(Debug, thiserror::Error)]
#[error("chart {key}: {reason}")]
pub struct ChartError {
    pub key: &'static str,
    pub reason: String,
}

const SIZE: (u32, u32) = (760, 380);
const FONT: &str = "sans-serif";
const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

fn err<E: std::fmt::Display>(key: &'static str) -> impl Fn(E) -> ChartError {
    move |e| ChartError {
        key,
        reason: e.to_string(),
    }
}

fn table(
    code: &str,
    title: &str,
    columns: &[(&str, Unit)],
    rows: Vec<(String, Vec<i64>)>,
) -> Table {
    Table {
        code: code.into(),
        title: title.into(),
        columns: columns
            .iter()
            .map(|(n, u)| Column {
                name: (*n).into(),
                unit: *u,
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|(label, cells)| Row {
                label,
                cells: cells.into_iter().map(Cell::Value).collect(),
            })
            .collect(),
    }
}

/// A line chart of several series over the months.
fn lines(
    key: &'static str,
    title: &str,
    months: &[String],
    series: &[(&str, Vec<i64>)],
    y_label: &str,
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1);
        let n = months.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(84)
            .build_cartesian_2d(0..n.saturating_sub(1).max(1), 0..(max + max / 10 + 1))
            .map_err(&e)?;
        chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|i| months.get(*i).cloned().unwrap_or_default())
            .y_label_formatter(&|v| grouped(*v))
            .y_desc(y_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(&e)?;
        for (i, (name, values)) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(x, y)| (x, *y)),
                    color.stroke_width(2),
                ))
                .map_err(&e)?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(svg)
}

/// A bar chart, one bar per label.
fn bars(
    key: &'static str,
    title: &str,
    labels: &[String],
    values: &[i64],
    y_label: &str,
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        let n = labels.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(96)
            .build_cartesian_2d((0..n).into_segmented(), 0..(max + max / 10 + 1))
            .map_err(&e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|s| match s {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| grouped(*v))
            .y_desc(y_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(&e)?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(COLORS[0].filled())
                    .margin(8)
                    .data(values.iter().enumerate().map(|(i, v)| (i, *v))),
            )
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(svg)
}

/// The age pyramid: men to the left, women to the right, bands upwards.
fn pyramid(
    key: &'static str,
    title: &str,
    bands: &[(String, i64, i64)],
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = bands
            .iter()
            .flat_map(|(_, m, w)| [*m, *w])
            .max()
            .unwrap_or(0)
            .max(1);
        let span = max + max / 10 + 1;
        let n = bands.len().max(1) as i64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(72)
            .build_cartesian_2d(-span..span, 0..n)
            .map_err(&e)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bands.len())
            .y_label_formatter(&|i| {
                bands
                    .get(usize::try_from(*i).unwrap_or(usize::MAX))
                    .map(|b| b.0.clone())
                    .unwrap_or_default()
            })
            .x_label_formatter(&|v| grouped(v.abs()))
            .x_desc("人（左: 男　右: 女）")
            .label_style((FONT, 12))
            .draw()
            .map_err(&e)?;
        chart
            .draw_series(bands.iter().enumerate().flat_map(|(i, (_, m, w))| {
                let y = i as i64;
                [
                    Rectangle::new([(-*m, y), (0, y + 1)], COLORS[0].filled()),
                    Rectangle::new([(0, y), (*w, y + 1)], COLORS[3].filled()),
                ]
            }))
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(svg)
}

fn month_label(m: &str) -> String {
    m.split_once('-')
        .map(|(_, mm)| format!("{}月", mm.trim_start_matches('0')))
        .unwrap_or_else(|| m.to_string())
}

/// Every chart of a yearly report.
pub fn charts(r: &Report) -> Result<Vec<Chart>, ChartError> {
    let t: &[MonthTrend] = &r.trends;
    let months: Vec<String> = t.iter().map(|m| month_label(&m.month)).collect();
    let mut out = Vec::new();

    let title = "被保険者数・世帯数の推移（各月末）";
    let insured: Vec<i64> = t.iter().map(|m| m.insured).collect();
    let households: Vec<i64> = t.iter().map(|m| m.households).collect();
    out.push(Chart {
        key: "insured",
        title: title.into(),
        svg: lines(
            "insured",
            title,
            &months,
            &[
                ("被保険者数", insured.clone()),
                ("世帯数", households.clone()),
            ],
            "人・世帯",
        )?,
        table: table(
            "insured",
            title,
            &[("被保険者数", Unit::Count), ("世帯数", Unit::Count)],
            t.iter()
                .map(|m| (m.month.clone(), vec![m.insured, m.households]))
                .collect(),
        ),
    });

    let title = "被保険者1人当たり費用額（審査月別・入院／入院外／歯科／調剤）";
    let per: Vec<(&str, Vec<i64>)> = CLAIM_LINES
        .iter()
        .enumerate()
        .map(|(i, l)| (*l, t.iter().map(|m| m.cost_per_insured(i)).collect()))
        .collect();
    out.push(Chart {
        key: "cost_per_insured",
        title: title.into(),
        svg: lines("cost_per_insured", title, &months, &per, "円")?,
        table: table(
            "cost_per_insured",
            title,
            &[
                ("入院", Unit::Yen),
                ("入院外", Unit::Yen),
                ("歯科", Unit::Yen),
                ("調剤", Unit::Yen),
            ],
            t.iter()
                .map(|m| {
                    (
                        m.month.clone(),
                        (0..4).map(|i| m.cost_per_insured(i)).collect(),
                    )
                })
                .collect(),
        ),
    });

    let title = "高額療養費の支給決定（月別）";
    out.push(Chart {
        key: "high_cost",
        title: title.into(),
        svg: bars(
            "high_cost",
            title,
            &months,
            &t.iter().map(|m| m.high_cost_amount).collect::<Vec<_>>(),
            "円",
        )?,
        table: table(
            "high_cost",
            title,
            &[("件数", Unit::Count), ("金額", Unit::Yen)],
            t.iter()
                .map(|m| (m.month.clone(), vec![m.high_cost_count, m.high_cost_amount]))
                .collect(),
        ),
    });

    let title = "保険税の調定額と軽減額（年度分）";
    let d = r.table("D");
    let get = |row: &str| d.and_then(|d| d.value(row, "金額")).unwrap_or(0);
    let levy_rows = [
        ("医療給付費分", get("　医療給付費分")),
        ("後期高齢者支援金等分", get("　後期高齢者支援金等分")),
        ("介護納付金分", get("　介護納付金分")),
        (
            "子ども・子育て支援納付金分",
            get("　子ども・子育て支援納付金分"),
        ),
        ("軽減額 計", get("軽減額 計（均等割・平等割）")),
    ];
    out.push(Chart {
        key: "levy",
        title: title.into(),
        svg: bars(
            "levy",
            title,
            &levy_rows
                .iter()
                .map(|(l, _)| l.to_string())
                .collect::<Vec<_>>(),
            &levy_rows.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            "円",
        )?,
        table: table(
            "levy",
            title,
            &[("金額", Unit::Yen)],
            levy_rows
                .iter()
                .map(|(l, v)| (l.to_string(), vec![*v]))
                .collect(),
        ),
    });

    if let Some(e) = r.table("E") {
        let title = e
            .title
            .replace("年齢階層別被保険者数", "被保険者の年齢構成");
        let bands: Vec<(String, i64, i64)> = e
            .rows
            .iter()
            .map(|row| {
                (
                    row.label.clone(),
                    row.cells.first().and_then(|c| c.value()).unwrap_or(0),
                    row.cells.get(1).and_then(|c| c.value()).unwrap_or(0),
                )
            })
            .collect();
        out.push(Chart {
            key: "age_pyramid",
            title: title.clone(),
            svg: pyramid("age_pyramid", &title, &bands)?,
            table: table(
                "age_pyramid",
                &title,
                &[("男", Unit::Count), ("女", Unit::Count)],
                bands
                    .iter()
                    .map(|(l, m, w)| (l.clone(), vec![*m, *w]))
                    .collect(),
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn trend(month: &str, insured: i64, amount: i64) -> MonthTrend {
        MonthTrend {
            month: month.into(),
            households: insured / 2,
            insured,
            cost: [
                insured * 3000,
                insured * 5000,
                insured * 1000,
                insured * 2000,
            ],
            high_cost_count: amount / 50_000,
            high_cost_amount: amount,
        }
    }

    #[test]
    fn every_chart_is_an_svg_with_its_table() {
        let r = Report {
            kind: "yearly".into(),
            title: "t".into(),
            insurer_number: "319012".into(),
            insurer_name: "八頭町".into(),
            period: "2026".into(),
            known_at: "k".into(),
            known_at_us: 0,
            basis: "now".into(),
            tables: vec![],
            missing: vec![],
            published: false,
            trends: vec![
                trend("2026-04", 1000, 300_000),
                trend("2026-05", 990, 0),
                trend("2026-06", 1010, 1_250_000),
            ],
        };
        let cs = charts(&r).unwrap();
        let keys: Vec<&str> = cs.iter().map(|c| c.key).collect();
        assert_eq!(keys, ["insured", "cost_per_insured", "high_cost", "levy"]);
        for c in &cs {
            assert!(c.svg.starts_with("<svg"), "{}", c.key);
            assert!(c.svg.contains(&c.title), "the caption is drawn: {}", c.key);
        }
        let per = &cs[1].table;
        assert_eq!(per.value("2026-04", "入院外"), Some(5000));
        assert_eq!(cs[2].table.value("2026-06", "件数"), Some(25));
        assert!(cs[0].svg.contains("被保険者数") && cs[0].svg.contains("6月"));
    }
}
