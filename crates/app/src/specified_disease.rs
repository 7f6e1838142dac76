//! 特定疾病の認定: recording that an insured person is certified for one of
//! the three diseases (on the doctor's statement), with the monthly limit the
//! dated high-cost table gives for their age group and the household's
//! category; the 特定疾病療養受療証 is printed from it (`documents`).

use kokuho_domain::burden::{self, Under70};
use kokuho_domain::certificate::{self, SpecifiedDisease};
use kokuho_domain::eligibility::YearMonth;
use kokuho_domain::high_cost::HighCostRules;
use kokuho_domain::id::AddresseeId;
use kokuho_store::specified_disease::{self as repo, CertificationRow};
use time::{Date, OffsetDateTime};

use crate::eligibility::to_us;
use crate::{AppError, Kokuho, Result};

/// A certification as entered.
#[derive(Clone, Debug)]
pub struct CertificationInput {
    pub addressee_id: String,
    pub disease: String,
    pub certified_on: Date,
    /// the day the application was made (発効期日 is the first of its month)
    pub applied_on: Date,
}

impl Kokuho {
    /// Records a certification: the person insured on the day applied, the
    /// limit from the rules of that month; a second one in force for the same
    /// disease is refused.
    pub async fn certify_specified_disease(
        &self,
        input: &CertificationInput,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<CertificationRow> {
        let disease = SpecifiedDisease::parse(&input.disease).ok_or_else(|| {
            AppError::invalid(
                "disease",
                "disease: dialysis, hemophilia or hiv",
                "疾病は dialysis（人工透析）, hemophilia（血友病）, hiv のいずれかです",
            )
        })?;
        if input.certified_on > input.applied_on {
            return Err(AppError::invalid(
                "certified_on",
                "the certification cannot be after the application",
                "認定日が申請日より後になっています",
            ));
        }
        let person = AddresseeId::parse(&input.addressee_id)
            .map_err(|e| AppError::from(e).for_field("person"))?;
        let pv = self.person(person.as_str()).await?;
        let insured = self
            .periods(&person, None)
            .await?
            .iter()
            .any(|v| crate::eligibility::as_period(v).covers(input.applied_on));
        // NHI ends on the 75th birthday whatever the records say.
        let past_75 = kokuho_domain::eligibility::late_elderly_from(pv.person.birth_date)
            .is_some_and(|d| d <= input.applied_on);
        if !insured || past_75 {
            return Err(AppError::invalid(
                "applied_on",
                "the person is not insured on the day applied",
                "申請日に国民健康保険の資格がありません",
            ));
        }
        let month = YearMonth::from_date(input.applied_on);
        let rules = HighCostRules::shipped().map_err(|e| AppError::Setup {
            message_en: e.to_string(),
            message_ja: "高額療養費の規則表を読めません".into(),
        })?;
        let period = rules.for_month(month).ok_or_else(|| {
            AppError::invalid(
                "applied_on",
                "no high-cost table for the month",
                "この月の限度額の規則がありません",
            )
        })?;
        let group = burden::age_group(pv.person.birth_date, month);
        let under70 = kokuho_store::burden::current(
            &self.db,
            &self.insurer,
            pv.person.household_number.as_str(),
            &burden::format_month(month),
        )
        .await?
        .and_then(|b| b.category_under_70)
        .as_deref()
        .and_then(Under70::from_label);
        if disease == SpecifiedDisease::Dialysis
            && group != burden::AgeGroup::Elderly
            && under70.is_none()
        {
            return Err(AppError::Conflict {
                message_en: "the household's category is not judged for the month".into(),
                message_ja: "人工透析の限度額は世帯の所得区分で決まります。この月の負担区分を先に判定してください"
                    .into(),
            });
        }
        let limit = certificate::specified_disease_limit(period, disease, group, under70);
        let row = CertificationRow {
            certification_id: 0,
            addressee_id: person.as_str().to_string(),
            disease: disease.code().to_string(),
            certified_on: input.certified_on,
            valid_from: input.applied_on.replace_day(1).unwrap_or(input.applied_on),
            limit_yen: limit,
            recorded_us: to_us(now),
            recorded_by: actor.to_string(),
            ended_on: None,
        };
        let mut tx = self.db.begin().await?;
        let id = match repo::insert(&mut tx, &self.insurer, &row).await {
            Err(kokuho_store::StoreError::Duplicate { .. }) => {
                return Err(AppError::Conflict {
                    message_en: "a certification for this disease is in force".into(),
                    message_ja: "この疾病の認定はすでに有効です".into(),
                });
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(CertificationRow {
            certification_id: id,
            ..row
        })
    }

    pub async fn specified_diseases_of(
        &self,
        person: &AddresseeId,
    ) -> Result<Vec<CertificationRow>> {
        Ok(repo::of_person(&self.db, &self.insurer, person.as_str()).await?)
    }
}
