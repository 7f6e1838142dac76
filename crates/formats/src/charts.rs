//! The charts a council asks about, drawn as SVG from a yearly report:
//! insured and households by month, cost per insured by setting, the
//! high-cost benefit by month, the levy against its reductions, and the
//! age pyramid. Each chart carries the table it is drawn from, so the
//! screen can show it beside and offer it as CSV.

use kokuho_domain::burden::yen as grouped;
use kokuho_domain::statistics::{
    CLAIM_LINES, Cell, Column, MonthTrend, Report, Row, Sum, Table, Unit,
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
    rows: Vec<(String, Vec<Cell>)>,
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
            .map(|(label, cells)| Row { label, cells })
            .collect(),
        sums: Vec::new(),
    }
}

/// A line chart of several series over the months.
fn lines(
    key: &'static str,
    title: &str,
    months: &[String],
    series: &[(&str, Vec<Option<i64>>)],
    y_label: &str,
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied())
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
            // a figure not there ("－", "＊") breaks the line
            let mut runs: Vec<Vec<(usize, i64)>> = vec![Vec::new()];
            for (x, y) in values.iter().enumerate() {
                match y {
                    Some(y) => runs.last_mut().map(|r| r.push((x, *y))).unwrap_or(()),
                    None => runs.push(Vec::new()),
                }
            }
            for run in runs.iter().filter(|r| r.len() > 1) {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))
                    .map_err(&e)?;
            }
            chart
                .draw_series(
                    runs.iter()
                        .flatten()
                        .map(|(x, y)| Circle::new((*x, *y), 3, color.filled())),
                )
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
    values: &[Option<i64>],
    y_label: &str,
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
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
                    .data(
                        values
                            .iter()
                            .enumerate()
                            .filter_map(|(i, v)| v.map(|v| (i, v))),
                    ),
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
    bands: &[(String, Option<i64>, Option<i64>)],
) -> Result<String, ChartError> {
    let e = err(key);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let max = bands
            .iter()
            .flat_map(|(_, m, w)| [*m, *w])
            .flatten()
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
                    m.map(|m| Rectangle::new([(-m, y), (0, y + 1)], COLORS[0].filled())),
                    w.map(|w| Rectangle::new([(0, y), (w, y + 1)], COLORS[3].filled())),
                ]
                .into_iter()
                .flatten()
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

/// The values of a table's column, row by row (`None` for "－" or "＊":
/// not drawn).
fn column(t: &Table, j: usize) -> Vec<Option<i64>> {
    t.rows
        .iter()
        .map(|r| r.cells.get(j).and_then(|c| c.value()))
        .collect()
}

fn cells(values: Vec<i64>) -> Vec<Cell> {
    values.into_iter().map(Cell::Value).collect()
}

/// Every chart of a yearly report. With `publish`, the charts' tables are
/// masked as the report's are (counts from 1 to the threshold, and the
/// amounts beside them) and a masked figure is not drawn.
pub fn charts(r: &Report, publish: Option<i64>) -> Result<Vec<Chart>, ChartError> {
    let t: &[MonthTrend] = &r.trends;
    // Published, the report's own tables are masked first (with their
    // second cells), so a chart drawn from them shows no more than they do.
    let published: Option<Vec<Table>> = publish.map(|threshold| {
        let mut ts = r.tables.clone();
        kokuho_domain::statistics::publish_tables(&mut ts, threshold.max(1));
        ts
    });
    let report_table = |code: &str| match &published {
        Some(ts) => ts.iter().find(|t| t.code == code),
        None => r.table(code),
    };
    let months: Vec<String> = t.iter().map(|m| month_label(&m.month)).collect();
    let mut specs: Vec<(&'static str, String, Table)> = Vec::new();

    let title = "被保険者数・世帯数の推移（各月末）";
    specs.push((
        "insured",
        title.into(),
        table(
            "insured",
            title,
            &[("被保険者数", Unit::Count), ("世帯数", Unit::Count)],
            t.iter()
                .map(|m| (m.month.clone(), cells(vec![m.insured, m.households])))
                .collect(),
        ),
    ));
    let title = "被保険者1人当たり費用額（審査月別・入院／入院外／歯科／調剤）";
    specs.push((
        "cost_per_insured",
        title.into(),
        table(
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
                        cells(
                            (0..CLAIM_LINES.len())
                                .map(|i| m.cost_per_insured(i))
                                .collect(),
                        ),
                    )
                })
                .collect(),
        ),
    ));
    let title = "高額療養費の支給決定（月別）";
    let mut high_cost = table(
        "high_cost",
        title,
        &[("件数", Unit::Count), ("金額", Unit::Yen)],
        t.iter()
            .map(|m| {
                (
                    m.month.clone(),
                    cells(vec![m.high_cost_count, m.high_cost_amount]),
                )
            })
            .collect(),
    );
    // the months add up to table C's 高額療養費 of the year, published beside
    high_cost.sums.push(Sum::Rows {
        total: "年度計（表C）".into(),
        parts: t.iter().map(|m| m.month.clone()).collect(),
    });
    specs.push(("high_cost", title.into(), high_cost));
    let title = "保険税の調定額と軽減額（年度分）";
    let d = report_table("D");
    let get = |row: &str| {
        d.and_then(|d| d.cell(row, "金額"))
            .unwrap_or(Cell::NotAvailable)
    };
    specs.push((
        "levy",
        title.into(),
        table(
            "levy",
            title,
            &[("金額", Unit::Yen)],
            [
                ("医療給付費分", "　医療給付費分"),
                ("後期高齢者支援金等分", "　後期高齢者支援金等分"),
                ("介護納付金分", "　介護納付金分"),
                ("子ども・子育て支援納付金分", "　子ども・子育て支援納付金分"),
                ("軽減額 計", "軽減額 計（均等割・平等割）"),
            ]
            .iter()
            .map(|(label, row)| (label.to_string(), vec![get(row)]))
            .collect(),
        ),
    ));
    if let Some(e) = report_table("E") {
        let title = e
            .title
            .replace("年齢階層別被保険者数", "被保険者の年齢構成");
        let rows = e
            .rows
            .iter()
            .map(|row| {
                (
                    row.label.clone(),
                    row.cells.iter().take(2).copied().collect(),
                )
            })
            .collect();
        specs.push((
            "age_pyramid",
            title.clone(),
            table(
                "age_pyramid",
                &title,
                &[("男", Unit::Count), ("女", Unit::Count)],
                rows,
            ),
        ));
    }
    if let Some(threshold) = publish {
        let mut tables: Vec<Table> = specs.iter().map(|(_, _, t)| t.clone()).collect();
        kokuho_domain::statistics::publish_tables(&mut tables, threshold.max(1));
        for (spec, masked) in specs.iter_mut().zip(tables) {
            spec.2 = masked;
        }
    }

    let mut out = Vec::with_capacity(specs.len());
    for (key, title, tb) in specs {
        let labels: Vec<String> = tb.rows.iter().map(|r| r.label.clone()).collect();
        let svg = match key {
            "insured" => lines(
                key,
                &title,
                &months,
                &[("被保険者数", column(&tb, 0)), ("世帯数", column(&tb, 1))],
                "人・世帯",
            )?,
            "cost_per_insured" => {
                let series: Vec<(&str, Vec<Option<i64>>)> = CLAIM_LINES
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (*l, column(&tb, i)))
                    .collect();
                lines(key, &title, &months, &series, "円")?
            }
            "high_cost" => bars(key, &title, &months, &column(&tb, 1), "円")?,
            "levy" => bars(key, &title, &labels, &column(&tb, 0), "円")?,
            _ => {
                let bands: Vec<(String, Option<i64>, Option<i64>)> = labels
                    .iter()
                    .zip(column(&tb, 0).into_iter().zip(column(&tb, 1)))
                    .map(|(l, (m, w))| (l.clone(), m, w))
                    .collect();
                pyramid(key, &title, &bands)?
            }
        };
        out.push(Chart {
            key,
            title,
            svg,
            table: tb,
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
                trend("2026-04", 1000, 150_000),
                trend("2026-05", 990, 0),
                trend("2026-06", 1010, 1_250_000),
            ],
        };
        let cs = charts(&r, None).unwrap();
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
        // the levy's figures are not in the report: not drawn as zero
        assert_eq!(
            cs[3].table.cell("医療給付費分", "金額"),
            Some(Cell::NotAvailable)
        );
        // published: the months of one to four high-cost benefits are masked
        let p = charts(&r, Some(4)).unwrap();
        assert_eq!(p[2].table.cell("2026-04", "件数"), Some(Cell::Masked));
        assert_eq!(p[2].table.cell("2026-04", "金額"), Some(Cell::Masked));
        // and a second month, since the months add up to table C's year
        assert_eq!(p[2].table.cell("2026-06", "件数"), Some(Cell::Masked));
        assert_eq!(p[2].table.cell("2026-06", "金額"), Some(Cell::Masked));
        assert_eq!(p[2].table.value("2026-05", "件数"), Some(0));
    }

    #[test]
    fn a_published_chart_shows_no_more_than_the_published_report() {
        let d = table(
            "D",
            "保険税の調定（年度分）",
            &[
                ("世帯数", Unit::Count),
                ("被保険者数", Unit::Count),
                ("金額", Unit::Yen),
            ],
            vec![
                ("　医療給付費分".into(), cells(vec![80, 150, 12_000_000])),
                ("　介護納付金分".into(), cells(vec![3, 4, 250_000])),
            ],
        );
        let r = Report {
            kind: "yearly".into(),
            title: "t".into(),
            insurer_number: "319012".into(),
            insurer_name: "八頭町".into(),
            period: "2026".into(),
            known_at: "k".into(),
            known_at_us: 0,
            basis: "now".into(),
            tables: vec![d],
            missing: vec![],
            published: false,
            trends: vec![],
        };
        let levy = |cs: &[Chart], row: &str| {
            cs.iter()
                .find(|c| c.key == "levy")
                .and_then(|c| c.table.cell(row, "金額"))
        };
        let raw = charts(&r, None).unwrap();
        assert_eq!(levy(&raw, "介護納付金分"), Some(Cell::Value(250_000)));
        // three households' amount is masked in the report: so in the chart
        let p = charts(&r, Some(4)).unwrap();
        assert_eq!(levy(&p, "介護納付金分"), Some(Cell::Masked));
        assert_eq!(levy(&p, "医療給付費分"), Some(Cell::Value(12_000_000)));
    }
}
