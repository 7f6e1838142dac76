//! 国民健康保険事業状況報告 (事業月報・事業年報): the report's figures from
//! facts the store gathered as known at one moment. Pure: the facts come in,
//! the tables go out; who may ask, and when the month closed, is the app's.
//!
//! Item names and order follow the ministry's form as far as the town's data
//! reaches; docs/statistics.md says which form each table follows and what
//! the data cannot fill (those cells are [`Cell::NotAvailable`], never 0).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::{Date, Month};

use crate::eligibility::{
    AcquisitionReason, LossReason, YearMonth, age_on, is_care_levy_month, is_preschool,
};

/// One cell of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Cell {
    Value(i64),
    /// the town's data cannot fill it (see docs/statistics.md)
    NotAvailable,
    /// hidden for publication: a count of 1 to the threshold, and the
    /// amounts beside it
    Masked,
}

impl Cell {
    pub fn value(self) -> Option<i64> {
        match self {
            Cell::Value(v) => Some(v),
            _ => None,
        }
    }

    /// As written in CSV and on screen: the number, "－" or "＊" (both in CP932).
    pub fn text(self) -> String {
        match self {
            Cell::Value(v) => v.to_string(),
            Cell::NotAvailable => "－".into(),
            Cell::Masked => "＊".into(),
        }
    }
}

/// What a column counts; decides masking and the number format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 世帯, 人, 件
    Count,
    /// 日
    Days,
    /// 円
    Yen,
}

impl Unit {
    pub fn label_ja(self) -> &'static str {
        match self {
            Unit::Count => "件・人・世帯",
            Unit::Days => "日",
            Unit::Yen => "円",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub unit: Unit,
}

impl Column {
    /// The heading as the files and screens write it: the name, and the
    /// unit beside it when it is days or yen (費用額（円）).
    pub fn heading(&self) -> String {
        match self.unit {
            Unit::Count => self.name.clone(),
            u => format!("{}（{}）", self.name, u.label_ja()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// A sum a table states: its `total` row (or column) is the sum of its
/// `parts`, column by column (or row by row). Publication reads it to mask a
/// second cell where one masked cell could be worked out from the rest. A
/// total the table does not hold is one published elsewhere (a chart's
/// months add up to the report's year): it cannot be masked, only parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "along")]
pub enum Sum {
    Rows { total: String, parts: Vec<String> },
    Columns { total: String, parts: Vec<String> },
}

/// One table of the report (表), e.g. 被保険者数等.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Table {
    /// stable code for files and sheets: "A1", "B", …
    pub code: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// the sums among its rows or columns (empty when it states none)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<Sum>,
}

impl Table {
    fn new(code: &str, title: &str, columns: &[(&str, Unit)]) -> Table {
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
            rows: Vec::new(),
            sums: Vec::new(),
        }
    }

    /// States that row `total` is the sum of rows `parts`, in every column.
    fn sum_of_rows(&mut self, total: &str, parts: impl IntoIterator<Item = String>) {
        self.sums.push(Sum::Rows {
            total: total.into(),
            parts: parts.into_iter().collect(),
        });
    }

    fn push(&mut self, label: impl Into<String>, cells: Vec<Cell>) {
        self.rows.push(Row {
            label: label.into(),
            cells,
        });
    }

    /// The cell at a row label and column name, for tests and charts.
    pub fn cell(&self, row: &str, column: &str) -> Option<Cell> {
        let c = self.columns.iter().position(|c| c.name == column)?;
        self.rows
            .iter()
            .find(|r| r.label == row)
            .and_then(|r| r.cells.get(c).copied())
    }

    /// The value at a row label and column name, if it is a number.
    pub fn value(&self, row: &str, column: &str) -> Option<i64> {
        self.cell(row, column).and_then(Cell::value)
    }
}

/// Something the report needs that is not in the data yet: the report is
/// then incomplete and says so instead of counting zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub en: String,
    pub ja: String,
}

fn v(x: i64) -> Cell {
    Cell::Value(x)
}

const NA: Cell = Cell::NotAvailable;

/// A report as produced: its tables and what it reflects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// monthly | yearly
    pub kind: String,
    /// e.g. 国民健康保険事業状況報告書（事業月報） 令和8年10月分
    pub title: String,
    pub insurer_number: String,
    pub insurer_name: String,
    /// YYYY-MM, or the fiscal year YYYY
    pub period: String,
    /// the data as known at this moment (Japan time, to the second)
    pub known_at: String,
    pub known_at_us: i64,
    /// closed (as known at the period's closing) | now | given
    pub basis: String,
    pub tables: Vec<Table>,
    /// what is not in the data yet; empty when complete
    pub missing: Vec<Missing>,
    /// small counts masked for publication
    pub published: bool,
    /// the year's months for the charts (yearly reports only)
    pub trends: Vec<MonthTrend>,
}

impl Report {
    pub fn table(&self, code: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.code == code)
    }

    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// One month of the year's trends, for the charts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthTrend {
    /// YYYY-MM
    pub month: String,
    /// at the month's end
    pub households: i64,
    pub insured: i64,
    /// 費用額 of the month's claims by [`CLAIM_LINES`]
    pub cost: [i64; 4],
    /// 高額療養費 decided in the month: count, amount
    pub high_cost_count: i64,
    pub high_cost_amount: i64,
}

impl MonthTrend {
    pub fn of(month: YearMonth, counts: &InsuredCounts, f: &MonthFacts) -> MonthTrend {
        let (n, a) = sum_of(&f.decided, is_high_cost);
        MonthTrend {
            month: month.to_string(),
            households: counts.households,
            insured: counts.insured,
            cost: [0, 1, 2, 3].map(|i| f.claims.0[i][2]),
            high_cost_count: n,
            high_cost_amount: a,
        }
    }

    /// 費用額 per insured (yen, rounded down) of a line.
    pub fn cost_per_insured(&self, line: usize) -> i64 {
        if self.insured == 0 {
            0
        } else {
            self.cost.get(line).copied().unwrap_or(0) / self.insured
        }
    }
}

// ---------------------------------------------------------------------------
// Facts

/// A person insured on the day counted (the month's last day), with what
/// the report sorts them by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsuredOnDay {
    pub addressee_id: String,
    pub birth_date: Date,
    /// 1 男, 2 女, 9 not stated
    pub sex: u8,
    /// the NHI household (世帯番号) they belong to on the day
    pub household: Option<String>,
    /// the copay percent the month's burden category gives (70–74), where
    /// the category has been decided
    pub copay_percent: Option<u8>,
}

/// One claim (レセプト) of the processing month, reduced to its figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFigures {
    /// medical, dental, pharmacy
    pub provider_kind: String,
    /// inpatient, outpatient, pharmacy
    pub setting: String,
    pub days: i64,
    /// 費用額: points × 10
    pub total_cost: i64,
    /// 一部負担金 at the claim's rate (国民健康保険法 第42条 rounding)
    pub copay: i64,
}

/// A cash benefit decided (支給決定) or paid in the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashBenefit {
    /// high_cost_benefit, annual_outpatient, reimbursement,
    /// childbirth_grant, funeral_grant, transport_benefit, meal_difference
    pub kind: String,
    /// 療養費's type
    pub subtype: Option<String>,
    /// 高額療養費 of a 多数回該当 month
    pub frequent_case: bool,
    /// 高額療養費 (外来年間合算)
    pub annual_outpatient: bool,
    pub amount: i64,
}

/// One household's levy for the fiscal year, as booked.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HouseholdLevyFacts {
    pub total: i64,
    pub medical: i64,
    pub elderly_support: i64,
    pub care: i64,
    pub child_support: i64,
    /// 7割, 5割, 2割
    pub reduction: Option<String>,
    /// insured members in the year
    pub insured_persons: i64,
    /// insured members who were 未就学児 on some insured day of the year
    pub preschool_persons: i64,
    /// members with 産前産後 (notified)
    pub childbirth_persons: i64,
    /// what the reductions took off 均等割・平等割, computed again from the
    /// booked basis; `None` when it could not be
    pub reduction_amount: Option<i64>,
}

/// Everything one month's report is made from.
#[derive(Clone, Debug, Default)]
pub struct MonthFacts {
    /// insured on the month's last day
    pub insured: Vec<InsuredOnDay>,
    /// householder (世帯主) of each household on the month's last day
    pub householders: BTreeMap<String, String>,
    /// acquisitions (資格取得日 in the month) by reason code
    pub acquisitions: Vec<String>,
    /// losses (資格喪失日 in the month) by reason code
    pub losses: Vec<String>,
    /// the processing month's claims, summed
    pub claims: ClaimTotals,
    /// … and their meals (食事療養・生活療養)
    pub meals: MealTotals,
    pub decided: Vec<CashBenefit>,
    pub paid: Vec<CashBenefit>,
    /// the fiscal year's levy, household by household
    pub levy: Vec<HouseholdLevyFacts>,
}

// ---------------------------------------------------------------------------
// Tables

/// The monthly report's tables for `month`.
/// `counts` are [`insured_counts`] of the same facts (the caller has them
/// already: they also say whether the age job is overdue).
pub fn monthly_tables(f: &MonthFacts, counts: &InsuredCounts) -> Vec<Table> {
    vec![
        insured_table(counts),
        movement_table(f),
        benefits_in_kind_table(&f.claims, &f.meals),
        cash_benefits_table(&f.decided, &f.paid),
        levy_table(&f.levy),
    ]
}

/// Counts of the insured on the month's last day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsuredCounts {
    pub households: i64,
    /// 擬制世帯: the householder is not NHI-insured
    pub deemed_householder: i64,
    pub insured: i64,
    pub preschool: i64,
    /// 介護保険第2号被保険者 (40–64): the care levy applies in the month
    pub care_second: i64,
    /// 70–74 (高齢受給者)
    pub elderly: i64,
    pub elderly_30: i64,
    pub elderly_20: i64,
    pub elderly_undecided: i64,
    /// 75 or over on the day yet recorded as insured: the loss to
    /// 後期高齢者医療 is not recorded yet (the age job has not run)
    pub over_75: i64,
}

pub fn insured_counts(month: YearMonth, f: &MonthFacts) -> InsuredCounts {
    let Some(day) = month.last_day() else {
        return InsuredCounts::default();
    };
    let mut c = InsuredCounts::default();
    let mut households = BTreeSet::new();
    let insured_ids: BTreeSet<&str> = f.insured.iter().map(|p| p.addressee_id.as_str()).collect();
    for p in &f.insured {
        c.insured += 1;
        if let Some(h) = &p.household {
            households.insert(h.as_str());
        }
        if is_preschool(p.birth_date, day) {
            c.preschool += 1;
        }
        if is_care_levy_month(p.birth_date, month) {
            c.care_second += 1;
        }
        // 高齢受給者 from the month after attaining 70 (国民健康保険法
        // 第42条第1項第3号); counted by age at the month's end.
        if age_on(p.birth_date, day) >= 75 {
            c.over_75 += 1;
        } else if crate::eligibility::elderly_recipient_from(p.birth_date).is_some_and(|d| d <= day)
        {
            c.elderly += 1;
            match p.copay_percent {
                Some(30) => c.elderly_30 += 1,
                Some(20) => c.elderly_20 += 1,
                _ => c.elderly_undecided += 1,
            }
        }
    }
    c.households = households.len() as i64;
    c.deemed_householder = households
        .iter()
        .filter(|h| {
            f.householders
                .get(**h)
                .is_some_and(|hh| !insured_ids.contains(hh.as_str()))
        })
        .count() as i64;
    c
}

fn insured_table(c: &InsuredCounts) -> Table {
    let mut t = Table::new(
        "A1",
        "被保険者数等（月末現在）",
        &[("月末現在", Unit::Count)],
    );
    t.push("世帯数", vec![v(c.households)]);
    t.push("　うち擬制世帯", vec![v(c.deemed_householder)]);
    t.push("被保険者数", vec![v(c.insured)]);
    t.push("　うち未就学児", vec![v(c.preschool)]);
    t.push(
        "　うち介護保険第2号被保険者（40歳以上65歳未満）",
        vec![v(c.care_second)],
    );
    t.push("　うち高齢受給者（70歳以上75歳未満）", vec![v(c.elderly)]);
    t.push("　　うち一部負担金3割", vec![v(c.elderly_30)]);
    t.push("　　うち一部負担金2割", vec![v(c.elderly_20)]);
    let mut rates = vec![
        "　　うち一部負担金3割".to_string(),
        "　　うち一部負担金2割".to_string(),
    ];
    if c.elderly_undecided > 0 {
        t.push("　　うち負担区分未判定", vec![v(c.elderly_undecided)]);
        rates.push("　　うち負担区分未判定".into());
    }
    t.sum_of_rows("　うち高齢受給者（70歳以上75歳未満）", rates);
    t
}

fn movement_table(f: &MonthFacts) -> Table {
    let mut t = Table::new("A2", "被保険者の異動（当月中）", &[("人数", Unit::Count)]);
    let count = |list: &[String], code: &str| list.iter().filter(|r| *r == code).count() as i64;
    t.push("資格取得 計", vec![v(f.acquisitions.len() as i64)]);
    for r in AcquisitionReason::ALL {
        t.push(
            format!("　{}", r.label_ja()),
            vec![v(count(&f.acquisitions, r.code()))],
        );
    }
    t.push("資格喪失 計", vec![v(f.losses.len() as i64)]);
    for r in LossReason::ALL {
        t.push(
            format!("　{}", r.label_ja()),
            vec![v(count(&f.losses, r.code()))],
        );
    }
    t.sum_of_rows(
        "資格取得 計",
        AcquisitionReason::ALL
            .iter()
            .map(|r| format!("　{}", r.label_ja())),
    );
    t.sum_of_rows(
        "資格喪失 計",
        LossReason::ALL
            .iter()
            .map(|r| format!("　{}", r.label_ja())),
    );
    t
}

/// Where a claim goes in the benefits-in-kind table.
fn claim_line(c: &ClaimFigures) -> &'static str {
    if c.provider_kind == "dental" {
        "歯科"
    } else if c.provider_kind == "pharmacy" || c.setting == "pharmacy" {
        "調剤"
    } else if c.setting == "inpatient" {
        "入院"
    } else {
        "入院外"
    }
}

pub const CLAIM_LINES: [&str; 4] = ["入院", "入院外", "歯科", "調剤"];

/// 件数, 日数, 費用額, 保険者負担額, 一部負担金 of each line of
/// [`CLAIM_LINES`], summed claim by claim (a month has a million and a
/// half: they are added as they stream, never held).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClaimTotals(pub [[i64; 5]; 4]);

/// The meals of a month's claims (HO 食事療養・生活療養): claims with meals,
/// the meals, and the amount the claims give for them (合計金額).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MealTotals {
    pub claims: i64,
    pub meals: i64,
    pub amount: i64,
}

impl MealTotals {
    pub fn merge(&mut self, o: &MealTotals) {
        self.claims += o.claims;
        self.meals += o.meals;
        self.amount += o.amount;
    }
}

impl ClaimTotals {
    pub fn add(&mut self, c: &ClaimFigures) {
        self.add_alike(c, 1, c.days);
    }

    /// `count` claims alike in everything the report reads but their days
    /// (`c` is one of them; `days` their sum): the copay is rounded claim
    /// by claim, and alike claims round alike.
    pub fn add_alike(&mut self, c: &ClaimFigures, count: i64, days: i64) {
        let i = CLAIM_LINES
            .iter()
            .position(|l| *l == claim_line(c))
            .unwrap_or(1);
        let e = &mut self.0[i];
        e[0] += count;
        e[1] += days;
        e[2] += c.total_cost * count;
        // 保険者負担額: the cost less the copay (公費 shares of the copay
        // do not change the insurer's part)
        e[3] += (c.total_cost - c.copay) * count;
        e[4] += c.copay * count;
    }

    pub fn merge(&mut self, o: &ClaimTotals) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// The line's five figures.
    pub fn line(&self, line: &str) -> [i64; 5] {
        CLAIM_LINES
            .iter()
            .position(|l| *l == line)
            .map(|i| self.0[i])
            .unwrap_or_default()
    }

    pub fn of(claims: &[ClaimFigures]) -> ClaimTotals {
        let mut t = ClaimTotals::default();
        for c in claims {
            t.add(c);
        }
        t
    }
}

fn benefits_in_kind_table(claims: &ClaimTotals, meals: &MealTotals) -> Table {
    let mut t = Table::new(
        "B",
        "療養の給付等（当月審査分）",
        &[
            ("件数", Unit::Count),
            ("日数", Unit::Days),
            ("費用額", Unit::Yen),
            ("保険者負担額", Unit::Yen),
            ("一部負担金", Unit::Yen),
        ],
    );
    let mut total = [0i64; 5];
    for line in CLAIM_LINES {
        let x = claims.line(line);
        for (a, b) in total.iter_mut().zip(x) {
            *a += b;
        }
        t.push(line, x.into_iter().map(v).collect());
    }
    // Meals (食事療養・生活療養), from the claims' HO records: the claims
    // with meals, the meals in the days column, and the amount the claims
    // give (合計金額) as the insurer's part; their 費用額 and 標準負担額 are
    // not on the record kokuho reads (PROVISIONAL reading: docs/statistics.md).
    t.push(
        "食事療養・生活療養（日数の欄は回数）",
        vec![v(meals.claims), v(meals.meals), NA, v(meals.amount), NA],
    );
    // Home nursing (訪問看護療養費) comes in records kokuho does not store
    // yet: shown as not available, never 0.
    t.push("訪問看護", vec![NA; 5]);
    t.push(
        "計（入院・入院外・歯科・調剤）",
        total.into_iter().map(v).collect(),
    );
    t.sum_of_rows(
        "計（入院・入院外・歯科・調剤）",
        CLAIM_LINES.iter().map(|l| l.to_string()),
    );
    t
}

pub const REIMBURSEMENT_SUBTYPES: [(&str, &str); 5] = [
    ("appliance", "補装具"),
    ("judo_therapy", "柔道整復師"),
    ("acupuncture_massage", "あんま・マッサージ、はり・きゅう"),
    ("overseas", "海外療養費"),
    ("other", "その他"),
];

/// 高額療養費: the monthly benefit and the yearly outpatient one (外来年間合算,
/// its own kind since it is applied for by person and year).
pub fn is_high_cost(b: &CashBenefit) -> bool {
    b.kind == "high_cost_benefit" || b.kind == "annual_outpatient"
}

/// Count and amount of the benefits a filter keeps.
fn sum_of(list: &[CashBenefit], keep: impl Fn(&CashBenefit) -> bool) -> (i64, i64) {
    list.iter()
        .filter(|b| keep(b))
        .fold((0, 0), |(n, a), b| (n + 1, a + b.amount))
}

/// The cash-benefit lines as (label, filter), in the form's order; `None`
/// for a line kokuho does not decide yet.
type Keep = Box<dyn Fn(&CashBenefit) -> bool>;

fn cash_lines() -> Vec<(String, Option<Keep>)> {
    let mut lines: Vec<(String, Option<Keep>)> = vec![(
        "療養費 計".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "reimbursement")),
    )];
    for (code, label) in REIMBURSEMENT_SUBTYPES {
        lines.push((
            format!("　{label}"),
            Some(Box::new(move |b: &CashBenefit| {
                b.kind == "reimbursement" && b.subtype.as_deref().unwrap_or("other") == code
            })),
        ));
    }
    lines.push((
        "高額療養費".into(),
        Some(Box::new(|b: &CashBenefit| is_high_cost(b))),
    ));
    lines.push((
        "　うち多数該当".into(),
        Some(Box::new(|b: &CashBenefit| {
            is_high_cost(b) && b.frequent_case
        })),
    ));
    lines.push((
        "　うち外来年間合算".into(),
        Some(Box::new(|b: &CashBenefit| {
            is_high_cost(b) && b.annual_outpatient
        })),
    ));
    lines.push((
        "高額介護合算療養費".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "combined_care")),
    ));
    lines.push((
        "出産育児一時金".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "childbirth_grant")),
    ));
    lines.push((
        "葬祭費".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "funeral_grant")),
    ));
    lines.push((
        "移送費".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "transport_benefit")),
    ));
    lines.push((
        "入院時食事療養費（差額支給）".into(),
        Some(Box::new(|b: &CashBenefit| b.kind == "meal_difference")),
    ));
    lines
}

fn cash_benefits_table(decided: &[CashBenefit], paid: &[CashBenefit]) -> Table {
    let mut t = Table::new(
        "C",
        "療養費等・その他の保険給付（当月決定・支払分）",
        &[
            ("決定件数", Unit::Count),
            ("決定金額", Unit::Yen),
            ("支払件数", Unit::Count),
            ("支払金額", Unit::Yen),
        ],
    );
    for (label, keep) in cash_lines() {
        match keep {
            None => t.push(label, vec![NA; 4]),
            Some(k) => {
                let (dn, da) = sum_of(decided, &k);
                let (pn, pa) = sum_of(paid, &k);
                t.push(label, vec![v(dn), v(da), v(pn), v(pa)]);
            }
        }
    }
    t.sum_of_rows(
        "療養費 計",
        REIMBURSEMENT_SUBTYPES
            .iter()
            .map(|(_, label)| format!("　{label}")),
    );
    t
}

fn levy_table(levy: &[HouseholdLevyFacts]) -> Table {
    let mut t = Table::new(
        "D",
        "保険税の調定（当月末現在の年度分）",
        &[
            ("世帯数", Unit::Count),
            ("被保険者数", Unit::Count),
            ("金額", Unit::Yen),
        ],
    );
    let levied: Vec<&HouseholdLevyFacts> = levy.iter().filter(|h| h.total > 0).collect();
    let persons = |it: &[&HouseholdLevyFacts]| it.iter().map(|h| h.insured_persons).sum::<i64>();
    let component = |f: fn(&HouseholdLevyFacts) -> i64| {
        let hs: Vec<&HouseholdLevyFacts> = levied.iter().copied().filter(|h| f(h) > 0).collect();
        vec![
            v(hs.len() as i64),
            v(persons(&hs)),
            v(hs.iter().map(|h| f(h)).sum()),
        ]
    };
    t.push(
        "調定額 計",
        vec![
            v(levied.len() as i64),
            v(persons(&levied)),
            v(levied.iter().map(|h| h.total).sum()),
        ],
    );
    t.push("　医療給付費分", component(|h| h.medical));
    t.push("　後期高齢者支援金等分", component(|h| h.elderly_support));
    t.push("　介護納付金分", component(|h| h.care));
    t.push(
        "　子ども・子育て支援納付金分",
        component(|h| h.child_support),
    );
    // the components' amounts add up to the total (to within each
    // household's rounding): a masked one is not to be worked out from it
    t.sum_of_rows(
        "調定額 計",
        [
            "　医療給付費分",
            "　後期高齢者支援金等分",
            "　介護納付金分",
            "　子ども・子育て支援納付金分",
        ]
        .map(String::from),
    );
    let amount = |hs: &[&HouseholdLevyFacts]| {
        hs.iter()
            .map(|h| h.reduction_amount)
            .try_fold(0i64, |a, x| x.map(|x| a + x))
            .map_or(NA, v)
    };
    for r in ["7割", "5割", "2割"] {
        let hs: Vec<&HouseholdLevyFacts> = levy
            .iter()
            .filter(|h| h.reduction.as_deref() == Some(r))
            .collect();
        t.push(
            format!("{r}軽減"),
            vec![v(hs.len() as i64), v(persons(&hs)), amount(&hs)],
        );
    }
    let pre: Vec<&HouseholdLevyFacts> = levy.iter().filter(|h| h.preschool_persons > 0).collect();
    t.push(
        "未就学児均等割軽減",
        vec![
            v(pre.len() as i64),
            v(pre.iter().map(|h| h.preschool_persons).sum()),
            NA,
        ],
    );
    let birth: Vec<&HouseholdLevyFacts> =
        levy.iter().filter(|h| h.childbirth_persons > 0).collect();
    t.push(
        "産前産後期間の減額",
        vec![
            v(birth.len() as i64),
            v(birth.iter().map(|h| h.childbirth_persons).sum()),
            NA,
        ],
    );
    let all: Vec<&HouseholdLevyFacts> = levy.iter().collect();
    let reduced: Vec<&HouseholdLevyFacts> = levy
        .iter()
        .filter(|h| h.reduction.is_some() || h.preschool_persons > 0 || h.childbirth_persons > 0)
        .collect();
    t.push(
        "軽減額 計（均等割・平等割）",
        vec![v(reduced.len() as i64), v(persons(&reduced)), amount(&all)],
    );
    t
}

// ---------------------------------------------------------------------------
// The year

/// What the yearly report is made from.
#[derive(Clone, Debug, Default)]
pub struct YearFacts {
    /// the counts at each month-end the year's average takes (see
    /// [`average_months`]); `None` for a month-end not yet reached
    pub month_ends: Vec<(YearMonth, Option<InsuredCounts>)>,
    /// the twelve processing months, April to March: movements, claims,
    /// cash benefits (their `insured` and `levy` are not used)
    pub months: Vec<(YearMonth, MonthFacts)>,
    /// the year's levy as it stands at the report's moment
    pub levy: Vec<HouseholdLevyFacts>,
    /// insured on the year's last day, for the age distribution
    pub year_end_insured: Vec<InsuredOnDay>,
    pub year_end: Option<Date>,
    /// households by burden category in the year's last month
    pub categories: BTreeMap<String, i64>,
}

/// The month-ends a fiscal year's average insured count is taken over:
/// the end of March before the year to the end of February in it (the
/// insured of a fiscal year's benefits are those of March to February's
/// service months). PROVISIONAL: the window follows the health-insurance
/// society rule (保険発第34号) by analogy; the NHI filling notes could not
/// be read here (docs/statistics.md). One constant to change.
pub fn average_months(fiscal_year: i32) -> Vec<YearMonth> {
    let mut m = YearMonth {
        year: fiscal_year,
        month: Month::March,
    };
    (0..12)
        .map(|_| {
            let out = m;
            m = m.next();
            out
        })
        .collect()
}

/// One of the month-end counts.
type CountOf = fn(&InsuredCounts) -> i64;

/// The yearly report's tables.
pub fn yearly_tables(y: &YearFacts) -> Vec<Table> {
    let mut out = Vec::new();
    let mut cols: Vec<(String, Unit)> = y
        .month_ends
        .iter()
        .map(|(m, _)| {
            (
                format!("{}年{}月末", m.year, u8::from(m.month)),
                Unit::Count,
            )
        })
        .collect();
    cols.push(("年度平均".into(), Unit::Count));
    let col_refs: Vec<(&str, Unit)> = cols.iter().map(|(n, u)| (n.as_str(), *u)).collect();
    let mut a = Table::new("A1", "被保険者数等（各月末現在・年度平均）", &col_refs);
    let series: [(&str, CountOf); 6] = [
        ("世帯数", |c| c.households),
        ("　うち擬制世帯", |c| c.deemed_householder),
        ("被保険者数", |c| c.insured),
        ("　うち未就学児", |c| c.preschool),
        (
            "　うち介護保険第2号被保険者（40歳以上65歳未満）",
            |c| c.care_second,
        ),
        ("　うち高齢受給者（70歳以上75歳未満）", |c| c.elderly),
    ];
    for (label, f) in series {
        let mut cells: Vec<Cell> = y
            .month_ends
            .iter()
            .map(|(_, c)| c.as_ref().map_or(NA, |c| v(f(c))))
            .collect();
        // the average of the month-ends reached (all twelve once the year is over)
        let reached: Vec<i64> = y
            .month_ends
            .iter()
            .filter_map(|(_, c)| c.as_ref().map(f))
            .collect();
        cells.push(if reached.is_empty() {
            NA
        } else {
            v(yearly_average(reached.into_iter()))
        });
        a.push(label, cells);
    }
    out.push(a);
    // A2, B, C: the year's sums of the months.
    let mut all = MonthFacts::default();
    for (_, f) in &y.months {
        all.acquisitions.extend(f.acquisitions.iter().cloned());
        all.losses.extend(f.losses.iter().cloned());
        all.claims.merge(&f.claims);
        all.meals.merge(&f.meals);
        all.decided.extend(f.decided.iter().cloned());
        all.paid.extend(f.paid.iter().cloned());
    }
    let mut movement = movement_table(&all);
    movement.title = "被保険者の異動（年度計）".into();
    out.push(movement);
    let mut b = benefits_in_kind_table(&all.claims, &all.meals);
    b.title = "療養の給付等（年度計・4月〜3月審査分）".into();
    out.push(b);
    let mut c = cash_benefits_table(&all.decided, &all.paid);
    c.title = "療養費等・その他の保険給付（年度計）".into();
    out.push(c);
    let mut d = levy_table(&y.levy);
    d.title = "保険税の調定（年度分）".into();
    out.push(d);
    if let Some(end) = y.year_end {
        out.push(age_table(&y.year_end_insured, end));
    }
    out.push(category_table(&y.categories));
    out
}

/// The year's average of monthly counts, rounded half up to a whole number
/// (事業年報: 年度平均 = 各月末現在数の合計 ÷ 月数).
pub fn yearly_average(it: impl Iterator<Item = i64>) -> i64 {
    let (sum, n) = it.fold((0i64, 0i64), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0 } else { (2 * sum + n) / (2 * n) }
}

/// The age bands of the distribution: 0–4, 5–9, …, 70–74, and a last
/// band for those 75 or over still recorded as insured (their loss to
/// 後期高齢者医療 is not recorded yet; normally empty).
pub const AGE_BANDS: usize = 16;

pub fn age_band_label(i: usize) -> String {
    if i + 1 >= AGE_BANDS {
        "75歳以上（要年齢到達処理）".into()
    } else {
        format!("{}～{}歳", i * 5, i * 5 + 4)
    }
}

/// Insured by five-year band and sex on `on`: [男, 女, 計] per band.
pub fn age_distribution(insured: &[InsuredOnDay], on: Date) -> Vec<[i64; 3]> {
    let mut bands = vec![[0i64; 3]; AGE_BANDS];
    for p in insured {
        let age = age_on(p.birth_date, on).max(0) as usize;
        let i = (age / 5).min(AGE_BANDS - 1);
        match p.sex {
            1 => bands[i][0] += 1,
            2 => bands[i][1] += 1,
            _ => {}
        }
        bands[i][2] += 1;
    }
    bands
}

fn age_table(insured: &[InsuredOnDay], on: Date) -> Table {
    let mut t = Table::new(
        "E",
        &format!("年齢階層別被保険者数（{}現在）", on),
        &[
            ("男", Unit::Count),
            ("女", Unit::Count),
            ("計", Unit::Count),
        ],
    );
    for (i, b) in age_distribution(insured, on).into_iter().enumerate() {
        t.push(age_band_label(i), b.into_iter().map(v).collect());
    }
    t.sums.push(Sum::Columns {
        total: "計".into(),
        parts: vec!["男".into(), "女".into()],
    });
    t
}

pub const CATEGORIES_UNDER_70: [&str; 5] = ["ア", "イ", "ウ", "エ", "オ"];
pub const CATEGORIES_70_74: [&str; 6] = [
    "現役並みⅢ",
    "現役並みⅡ",
    "現役並みⅠ",
    "一般",
    "低所得Ⅱ",
    "低所得Ⅰ",
];

fn category_table(counts: &BTreeMap<String, i64>) -> Table {
    let mut t = Table::new(
        "F",
        "所得区分別世帯数（年度末月の負担区分）",
        &[("世帯数", Unit::Count)],
    );
    for c in CATEGORIES_UNDER_70 {
        t.push(
            format!("70歳未満 区分{c}"),
            vec![v(counts.get(c).copied().unwrap_or(0))],
        );
    }
    for c in CATEGORIES_70_74 {
        t.push(
            format!("70歳以上 {c}"),
            vec![v(counts.get(c).copied().unwrap_or(0))],
        );
    }
    t
}

// ---------------------------------------------------------------------------
// Publication and comparison

/// Masks, for publication, every count from 1 to `threshold` and the
/// amounts and days on the same row (a small count's amount tells about
/// the persons). Zero stays: it tells about no one.
pub fn mask_small_counts(tables: &mut [Table], threshold: i64) {
    for t in tables.iter_mut() {
        let units: Vec<Unit> = t.columns.iter().map(|c| c.unit).collect();
        for r in &mut t.rows {
            let small = r.cells.iter().zip(&units).any(|(c, u)| {
                *u == Unit::Count && c.value().is_some_and(|x| (1..=threshold).contains(&x))
            });
            if !small {
                continue;
            }
            for (c, u) in r.cells.iter_mut().zip(&units) {
                let hide = match u {
                    Unit::Count => c.value().is_some_and(|x| (1..=threshold).contains(&x)),
                    Unit::Days | Unit::Yen => c.value().is_some_and(|x| x != 0),
                };
                if hide {
                    *c = Cell::Masked;
                }
            }
        }
    }
}

/// Masks for publication: the small counts and their amounts
/// ([`mask_small_counts`]), then a second cell wherever a sum the table
/// states would give a masked one away ([`mask_complements`]).
pub fn publish_tables(tables: &mut [Table], threshold: i64) {
    mask_small_counts(tables, threshold);
    mask_complements(tables);
}

/// Secondary suppression (二次秘匿). Where a sum the table states has exactly
/// one masked cell and no cell not available, that cell is its total less
/// the other parts (or the parts' sum): one more is masked beside it, the
/// smallest non-zero part, else the total, else a zero part. Repeated until
/// no sum has a single masked cell, since a cell masked for one sum can be
/// the single one of another.
pub fn mask_complements(tables: &mut [Table]) {
    for t in tables.iter_mut() {
        let groups = sum_groups(t);
        // each pass masks at least one more cell or ends; cells are finite
        loop {
            let mut changed = false;
            for (total, parts) in &groups {
                let cell = |&(r, c): &(usize, usize)| t.rows[r].cells[c];
                let all = || total.iter().chain(parts);
                let masked = all().filter(|x| cell(x) == Cell::Masked).count();
                if masked != 1 || all().any(|x| cell(x) == Cell::NotAvailable) {
                    continue;
                }
                let smallest_part = parts
                    .iter()
                    .filter_map(|x| cell(x).value().filter(|n| *n > 0).map(|n| (n, *x)))
                    .min_by_key(|(n, _)| *n)
                    .map(|(_, x)| x);
                let pick = smallest_part
                    .or_else(|| total.filter(|x| cell(x).value().is_some()))
                    .or_else(|| parts.iter().copied().find(|x| cell(x).value().is_some()));
                if let Some((r, c)) = pick {
                    t.rows[r].cells[c] = Cell::Masked;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
}

/// The cells of one sum in one column (or row): the total's, unless it is
/// published elsewhere, and the parts'.
type SumCells = (Option<(usize, usize)>, Vec<(usize, usize)>);

/// The cells of each sum a table states, one group per column (or row).
/// A part the table lacks is left out.
fn sum_groups(t: &Table) -> Vec<SumCells> {
    let row = |l: &str| t.rows.iter().position(|r| r.label == l);
    let col = |l: &str| t.columns.iter().position(|c| c.name == l);
    let mut out: Vec<SumCells> = Vec::new();
    for s in &t.sums {
        match s {
            Sum::Rows { total, parts } => {
                let tr = row(total);
                let prs: Vec<usize> = parts.iter().filter_map(|p| row(p)).collect();
                for c in 0..t.columns.len() {
                    out.push((tr.map(|r| (r, c)), prs.iter().map(|r| (*r, c)).collect()));
                }
            }
            Sum::Columns { total, parts } => {
                let tc = col(total);
                let pcs: Vec<usize> = parts.iter().filter_map(|p| col(p)).collect();
                for r in 0..t.rows.len() {
                    out.push((tc.map(|c| (r, c)), pcs.iter().map(|c| (r, *c)).collect()));
                }
            }
        }
    }
    // a row shorter than the columns would have no such cell
    let has = |(r, c): &(usize, usize)| t.rows[*r].cells.len() > *c;
    out.retain(|(total, parts)| total.iter().all(has) && parts.iter().all(has));
    out
}

/// One figure that differs between two runs of the same report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub table: String,
    pub row: String,
    pub column: String,
    pub closed: Cell,
    pub now: Cell,
}

/// The cells where `now` differs from `closed`; a row or table present in
/// only one of them is listed against not available.
pub fn differences(closed: &[Table], now: &[Table]) -> Vec<Difference> {
    let mut out = one_way(closed, now, false);
    // what the closed report had and the report now lacks
    out.extend(one_way(now, closed, true));
    out
}

/// The cells of `b` that `a` gives otherwise or lacks; `swapped` when `b`
/// is the closed report (then only what `a` lacks, the rest was listed).
fn one_way(a: &[Table], b: &[Table], swapped: bool) -> Vec<Difference> {
    let (closed, now) = (a, b);
    let mut out = Vec::new();
    for t in now {
        let old = closed.iter().find(|o| o.code == t.code);
        for r in &t.rows {
            for (i, c) in r.cells.iter().enumerate() {
                let column = t.columns.get(i).map(|c| c.name.clone()).unwrap_or_default();
                let before = old
                    .and_then(|o| o.rows.iter().find(|x| x.label == r.label))
                    .and_then(|x| x.cells.get(i).copied());
                match (before, swapped) {
                    (Some(b), false) if b != *c => out.push(Difference {
                        table: t.code.clone(),
                        row: r.label.clone(),
                        column,
                        closed: b,
                        now: *c,
                    }),
                    (None, false) => out.push(Difference {
                        table: t.code.clone(),
                        row: r.label.clone(),
                        column,
                        closed: NA,
                        now: *c,
                    }),
                    (None, true) => out.push(Difference {
                        table: t.code.clone(),
                        row: r.label.clone(),
                        column,
                        closed: *c,
                        now: NA,
                    }),
                    _ => {}
                }
            }
        }
    }
    out
}

/// The first and last day of a fiscal year's report (April to March).
pub fn fiscal_year_span(fiscal_year: i32) -> Option<(Date, Date)> {
    Some((
        Date::from_calendar_date(fiscal_year, Month::April, 1).ok()?,
        Date::from_calendar_date(fiscal_year.checked_add(1)?, Month::March, 31).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn person(id: &str, birth: Date, sex: u8, hh: &str, pct: Option<u8>) -> InsuredOnDay {
        InsuredOnDay {
            addressee_id: id.into(),
            birth_date: birth,
            sex,
            household: Some(hh.into()),
            copay_percent: pct,
        }
    }

    fn oct() -> YearMonth {
        YearMonth {
            year: 2026,
            month: Month::October,
        }
    }

    #[test]
    fn insured_counts_sort_by_age_on_the_months_last_day() {
        let f = MonthFacts {
            insured: vec![
                // preschool until 2027-03-31 (born after 1 April 2020)
                person("1", date!(2020 - 04 - 02), 2, "H1", None),
                // 6 on 2026-10-31, attained after the 1 April cut: not preschool
                person("2", date!(2020 - 04 - 01), 1, "H1", None),
                // attains 40 on 2026-10-31 (the day before the birthday): care from October
                person("3", date!(1986 - 11 - 01), 1, "H2", None),
                // attains 65 on 2026-10-31: first-category from October, not counted
                person("4", date!(1961 - 11 - 01), 2, "H2", None),
                // attained 70 on 2026-09-30: 高齢受給者 from October
                person("5", date!(1956 - 10 - 01), 1, "H3", Some(20)),
                // attains 70 on 2026-10-31: from November only
                person("6", date!(1956 - 11 - 01), 2, "H3", None),
                person("7", date!(1953 - 01 - 10), 1, "H4", Some(30)),
                person("8", date!(1954 - 01 - 10), 1, "H4", None),
            ],
            householders: [
                ("H1".to_string(), "2".to_string()),
                ("H2".to_string(), "9".to_string()),
                ("H3".to_string(), "5".to_string()),
                ("H4".to_string(), "99".to_string()),
            ]
            .into(),
            ..MonthFacts::default()
        };
        let c = insured_counts(oct(), &f);
        assert_eq!(c.insured, 8);
        assert_eq!(c.households, 4);
        assert_eq!(c.deemed_householder, 2, "H2 and H4 have an uninsured head");
        assert_eq!(c.preschool, 1);
        assert_eq!(c.care_second, 1);
        assert_eq!(c.elderly, 3);
        assert_eq!((c.elderly_30, c.elderly_20, c.elderly_undecided), (1, 1, 1));
    }

    #[test]
    fn claims_go_to_their_lines_with_the_insurers_share() {
        let claim = |pk: &str, s: &str, days, cost, copay| ClaimFigures {
            provider_kind: pk.into(),
            setting: s.into(),
            days,
            total_cost: cost,
            copay,
        };
        let t = benefits_in_kind_table(
            &ClaimTotals::of(&[
                claim("medical", "inpatient", 10, 500_000, 150_000),
                claim("medical", "outpatient", 2, 10_000, 3_000),
                claim("dental", "outpatient", 1, 8_000, 2_400),
                claim("pharmacy", "pharmacy", 1, 5_000, 1_500),
                claim("medical", "outpatient", 1, 3_000, 600),
            ]),
            &MealTotals {
                claims: 1,
                meals: 30,
                amount: 5_400,
            },
        );
        assert_eq!(t.value("入院", "保険者負担額"), Some(350_000));
        assert_eq!(t.value("入院外", "件数"), Some(2));
        assert_eq!(t.value("入院外", "費用額"), Some(13_000));
        assert_eq!(t.value("歯科", "日数"), Some(1));
        assert_eq!(t.value("調剤", "一部負担金"), Some(1_500));
        assert_eq!(
            t.value("計（入院・入院外・歯科・調剤）", "費用額"),
            Some(526_000)
        );
        let meals = "食事療養・生活療養（日数の欄は回数）";
        assert_eq!(t.value(meals, "件数"), Some(1));
        assert_eq!(t.value(meals, "日数"), Some(30));
        assert_eq!(t.value(meals, "保険者負担額"), Some(5_400));
        assert_eq!(t.cell(meals, "費用額"), Some(Cell::NotAvailable));
        // meals are not in the total of the four settings
        assert_eq!(
            t.value("計（入院・入院外・歯科・調剤）", "保険者負担額"),
            Some(350_000 + 7_000 + 5_600 + 3_500 + 2_400)
        );
    }

    #[test]
    fn levy_table_counts_reductions_and_components() {
        let h = |total, care, red: Option<&str>, persons, pre, amount| HouseholdLevyFacts {
            total,
            medical: total - care,
            care,
            reduction: red.map(String::from),
            insured_persons: persons,
            preschool_persons: pre,
            reduction_amount: amount,
            ..HouseholdLevyFacts::default()
        };
        let t = levy_table(&[
            h(100_000, 20_000, None, 2, 0, Some(0)),
            h(30_000, 0, Some("7割"), 1, 0, Some(40_000)),
            h(50_000, 10_000, Some("5割"), 3, 1, Some(30_000)),
        ]);
        assert_eq!(t.value("調定額 計", "金額"), Some(180_000));
        assert_eq!(t.value("調定額 計", "被保険者数"), Some(6));
        assert_eq!(t.value("　介護納付金分", "世帯数"), Some(2));
        assert_eq!(t.value("　介護納付金分", "金額"), Some(30_000));
        assert_eq!(t.value("7割軽減", "被保険者数"), Some(1));
        assert_eq!(t.value("5割軽減", "金額"), Some(30_000));
        assert_eq!(t.value("2割軽減", "世帯数"), Some(0));
        assert_eq!(t.value("未就学児均等割軽減", "被保険者数"), Some(1));
        assert_eq!(t.value("軽減額 計（均等割・平等割）", "金額"), Some(70_000));
    }

    #[test]
    fn a_reduction_not_recomputable_is_not_available() {
        let t = levy_table(&[HouseholdLevyFacts {
            total: 10_000,
            medical: 10_000,
            reduction: Some("7割".into()),
            insured_persons: 1,
            reduction_amount: None,
            ..HouseholdLevyFacts::default()
        }]);
        assert_eq!(t.cell("7割軽減", "金額"), Some(Cell::NotAvailable));
    }

    #[test]
    fn masking_hides_small_counts_and_their_amounts_but_not_zero() {
        let mut t = vec![cash_benefits_table(
            &[
                CashBenefit {
                    kind: "funeral_grant".into(),
                    subtype: None,
                    frequent_case: false,
                    annual_outpatient: false,
                    amount: 50_000,
                },
                CashBenefit {
                    kind: "childbirth_grant".into(),
                    subtype: None,
                    frequent_case: false,
                    annual_outpatient: false,
                    amount: 500_000,
                },
            ]
            .iter()
            .cloned()
            .cycle()
            .take(6)
            .collect::<Vec<_>>(),
            &[],
        )];
        t[0].rows[0].cells[0] = v(7);
        mask_small_counts(&mut t, 4);
        assert_eq!(t[0].cell("葬祭費", "決定件数"), Some(Cell::Masked));
        assert_eq!(t[0].cell("葬祭費", "決定金額"), Some(Cell::Masked));
        assert_eq!(t[0].cell("葬祭費", "支払件数"), Some(v(0)));
        assert_eq!(t[0].cell("療養費 計", "決定件数"), Some(v(7)));
        assert_eq!(t[0].cell("移送費", "決定件数"), Some(v(0)));
    }

    /// Every sum a table states has no masked cell or more than one, in
    /// every column (or row): none can be worked out from the others.
    fn no_sum_gives_a_masked_cell_away(t: &Table) -> Result<(), String> {
        for (total, parts) in sum_groups(t) {
            let masked = total
                .iter()
                .chain(&parts)
                .filter(|(r, c)| t.rows[*r].cells[*c] == Cell::Masked)
                .count();
            if masked == 1 {
                return Err(format!(
                    "{}: one masked cell in {total:?} {parts:?}",
                    t.code
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn a_masked_line_is_not_left_to_be_worked_out_from_the_total() {
        let claim = |kind: &str, setting: &str, cost: i64| ClaimFigures {
            provider_kind: kind.into(),
            setting: setting.into(),
            days: 1,
            total_cost: cost,
            copay: cost * 3 / 10,
        };
        let mut cs = Vec::new();
        cs.extend((0..40).map(|_| claim("medical", "outpatient", 10_000)));
        cs.extend((0..9).map(|_| claim("medical", "inpatient", 500_000)));
        cs.extend((0..20).map(|_| claim("pharmacy", "pharmacy", 3_000)));
        cs.extend((0..2).map(|_| claim("dental", "outpatient", 8_000)));
        let mut t = vec![benefits_in_kind_table(
            &ClaimTotals::of(&cs),
            &MealTotals::default(),
        )];
        publish_tables(&mut t, 4);
        let b = &t[0];
        // 歯科's two claims, first; then in each column the smallest other
        // line, so 計 less the shown lines gives no one line
        for col in ["件数", "日数", "費用額", "保険者負担額", "一部負担金"] {
            assert_eq!(b.cell("歯科", col), Some(Cell::Masked), "{col}");
        }
        assert_eq!(b.cell("入院", "件数"), Some(Cell::Masked));
        assert_eq!(b.cell("入院", "日数"), Some(Cell::Masked));
        assert_eq!(b.cell("調剤", "費用額"), Some(Cell::Masked));
        assert_eq!(b.value("入院外", "件数"), Some(40));
        assert_eq!(b.value("調剤", "件数"), Some(20));
        assert_eq!(b.value("入院", "費用額"), Some(4_500_000));
        assert_eq!(b.value("計（入院・入院外・歯科・調剤）", "件数"), Some(71));
        no_sum_gives_a_masked_cell_away(b).unwrap();
        // unpublished, nothing is masked
        let raw = benefits_in_kind_table(&ClaimTotals::of(&cs), &MealTotals::default());
        assert_eq!(raw.value("歯科", "件数"), Some(2));
    }

    #[test]
    fn the_second_cell_is_the_total_when_the_other_parts_are_zero_or_elsewhere() {
        let mut t = Table::new("X", "x", &[("n", Unit::Count)]);
        t.push("計", vec![v(9)]);
        t.push("a", vec![Cell::Masked]);
        t.push("b", vec![v(0)]);
        t.sum_of_rows("計", ["a".to_string(), "b".to_string()]);
        let mut ts = vec![t];
        mask_complements(&mut ts);
        assert_eq!(ts[0].cell("計", "n"), Some(Cell::Masked));
        assert_eq!(ts[0].value("b", "n"), Some(0));
        // a total published elsewhere: a part is masked, the smallest
        let mut m = Table::new("M", "m", &[("n", Unit::Count)]);
        for (l, n) in [("04", 2), ("05", 30), ("06", 12), ("07", 0)] {
            m.push(l, vec![v(n)]);
        }
        m.sum_of_rows("年度計", ["04", "05", "06", "07"].map(String::from));
        let mut ms = vec![m];
        publish_tables(&mut ms, 4);
        let masked: Vec<&str> = ms[0]
            .rows
            .iter()
            .filter(|r| r.cells[0] == Cell::Masked)
            .map(|r| r.label.as_str())
            .collect();
        assert_eq!(masked, ["04", "06"]);
        // a sum with a cell not available gives nothing away: left alone
        let mut n = Table::new("N", "n", &[("n", Unit::Count)]);
        n.push("計", vec![NA]);
        n.push("a", vec![Cell::Masked]);
        n.push("b", vec![v(7)]);
        n.sum_of_rows("計", ["a".to_string(), "b".to_string()]);
        let mut ns = vec![n];
        mask_complements(&mut ns);
        assert_eq!(ns[0].value("b", "n"), Some(7));
    }

    #[test]
    fn differences_name_the_cells_that_changed() {
        let a = vec![benefits_in_kind_table(
            &ClaimTotals::default(),
            &MealTotals::default(),
        )];
        let mut b = a.clone();
        b[0].rows[1].cells[0] = v(3);
        let d = differences(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].row.as_str(), d[0].column.as_str()),
            ("入院外", "件数")
        );
        assert_eq!((d[0].closed, d[0].now), (v(0), v(3)));
        // a row only the closed report had is listed too
        let mut c = a.clone();
        c[0].push("消えた行", vec![v(1); 5]);
        let d = differences(&c, &a);
        assert_eq!(d.len(), 5);
        assert!(
            d.iter()
                .all(|x| x.row == "消えた行" && x.now == NA && x.closed == v(1))
        );
    }

    #[test]
    fn figures_are_written_with_thousands_separators() {
        use crate::burden::yen;
        assert_eq!(yen(0), "0");
        assert_eq!(yen(999), "999");
        assert_eq!(yen(1_234_567), "1,234,567");
        assert_eq!(yen(-1000), "-1,000");
        assert_eq!(yen(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn the_yearly_average_rounds_half_up() {
        assert_eq!(yearly_average([10, 11].into_iter()), 11);
        assert_eq!(yearly_average([10, 10, 11].into_iter()), 10);
        assert_eq!(yearly_average(std::iter::empty()), 0);
    }

    proptest! {
        #[test]
        fn the_total_line_is_the_sum_of_the_lines(
            claims in proptest::collection::vec(
                (0usize..4, 0usize..3, 0i64..31, 0i64..10_000_000, 0i64..100), 0..60)
        ) {
            let kinds = ["medical", "dental", "pharmacy", "medical"];
            let settings = ["inpatient", "outpatient", "pharmacy"];
            let cs: Vec<ClaimFigures> = claims.iter().map(|(k, s, d, cost, pct)| ClaimFigures {
                provider_kind: kinds[*k].into(),
                setting: settings[*s].into(),
                days: *d,
                total_cost: *cost,
                copay: cost * pct / 100,
            }).collect();
            let t = benefits_in_kind_table(&ClaimTotals::of(&cs), &MealTotals::default());
            for col in ["件数", "日数", "費用額", "保険者負担額", "一部負担金"] {
                let sum: i64 = CLAIM_LINES.iter().map(|l| t.value(l, col).unwrap()).sum();
                prop_assert_eq!(t.value("計（入院・入院外・歯科・調剤）", col), Some(sum));
            }
            prop_assert_eq!(t.value("計（入院・入院外・歯科・調剤）", "件数"), Some(cs.len() as i64));
        }

                /// A grid with a total row and a total column (as a table of bands
        /// by sex): after publication no small count shows, no sum gives a
        /// masked cell away, and every shown cell keeps its figure.
        #[test]
        fn publication_leaves_no_masked_cell_to_be_worked_out(
            grid in proptest::collection::vec(proptest::collection::vec(0i64..12, 3), 1..8),
            threshold in 1i64..5
        ) {
            let cols = ["a", "b", "c", "計"];
            let mut t = Table::new(
                "G", "g", &cols.map(|c| (c, Unit::Count)),
            );
            let mut totals = [0i64; 4];
            for (i, r) in grid.iter().enumerate() {
                let mut cells: Vec<i64> = r.clone();
                cells.push(r.iter().sum());
                for (s, x) in totals.iter_mut().zip(&cells) {
                    *s += x;
                }
                t.push(format!("r{i}"), cells.into_iter().map(v).collect());
            }
            t.push("計", totals.into_iter().map(v).collect());
            t.sum_of_rows("計", (0..grid.len()).map(|i| format!("r{i}")));
            t.sums.push(Sum::Columns {
                total: "計".into(),
                parts: vec!["a".into(), "b".into(), "c".into()],
            });
            let raw = t.clone();
            let mut ts = vec![t];
            publish_tables(&mut ts, threshold);
            let t = &ts[0];
            prop_assert!(no_sum_gives_a_masked_cell_away(t).is_ok(), "{:?}", no_sum_gives_a_masked_cell_away(t));
            for (r, before) in t.rows.iter().zip(&raw.rows) {
                for (c, b) in r.cells.iter().zip(&before.cells) {
                    match c {
                        Cell::Masked => {}
                        shown => {
                            prop_assert_eq!(shown, b);
                            let n = shown.value().unwrap_or(0);
                            prop_assert!(!(1..=threshold).contains(&n));
                        }
                    }
                }
            }
        }

        #[test]
        fn masking_never_leaves_a_small_count(
            counts in proptest::collection::vec(0i64..10, 1..20), threshold in 1i64..5
        ) {
            let mut t = Table::new("X", "x", &[("n", Unit::Count), ("yen", Unit::Yen)]);
            for (i, n) in counts.iter().enumerate() {
                t.push(format!("r{i}"), vec![v(*n), v(n * 1000)]);
            }
            let mut ts = vec![t];
            mask_small_counts(&mut ts, threshold);
            for (r, n) in ts[0].rows.iter().zip(&counts) {
                let small = (1..=threshold).contains(n);
                prop_assert_eq!(r.cells[0] == Cell::Masked, small);
                prop_assert_eq!(r.cells[1] == Cell::Masked, small);
            }
        }
    }
}
