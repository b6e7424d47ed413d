//! Cards for their holders and the counter: issue, life steps, top-ups,
//! the bicycle deposit, passes, and a card as it is read.

use super::*;
use sunshine_domain::registry::identity::IdentityCheck;

/// A card to issue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct IssueCard {
    /// The resident's identity number.
    pub holder: String,
    pub holder_name: String,
    /// `adult`, `student`, `senior`… (the fares' rider categories); empty: full fare.
    #[serde(default)]
    pub rider_category: String,
}

/// Money put on a card.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TopUp {
    /// The client's id for this top-up, 1 to 2⁶²−1: a retry with the same id
    /// is answered with the first top-up and adds nothing. A decimal string:
    /// it can exceed 2⁵³ − 1 (a JSON number is still taken).
    #[serde(with = "sunshine_domain::decimal_u64")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$", example = "4611686018427387903")]
    pub id: u64,
    #[schema(value_type = String)]
    pub purse: Purse,
    /// Fen.
    pub amount: i64,
}

/// A card as its holder or a clerk sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardView {
    pub card: Card,
    pub balances: Balances,
    /// Why terminals refuse it, if they do.
    pub denied: Option<String>,
    /// The newest taps first.
    pub taps: Vec<TapView>,
    /// What the card entitles its holder to, with whether it holds now.
    pub entitlements: Vec<EntitlementView>,
    /// The public-bicycle deposit is held in the wallet.
    pub bike_deposit: bool,
    /// A bicycle is out: from which dock, since when (microseconds).
    pub bike_out: Option<(String, i64)>,
    /// Passes (月票) bought, newest first.
    pub passes: Vec<book::Pass>,
    /// The holder's medical settlements, newest first (the last
    /// [`RECENT_MEDICAL`]): they follow the holder to a replacement card.
    pub medical: Vec<MedicalView>,
}

/// A pass to buy.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BuyPass {
    /// The pass's fare product (one with a duration), e.g. `bus_month`.
    pub product: String,
    /// Its first day, `YYYY-MM-DD`.
    pub first_day: String,
}

/// A tap, with where it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TapView {
    #[serde(flatten)]
    pub tap: TapRecord,
    /// The operator or merchant.
    pub place: String,
    /// The fare product's name (or what was bought).
    pub product_name: String,
}

impl App {
    /// Issue a card at a counter.
    pub async fn issue_card(&self, actor: &Actor, input: IssueCard) -> Result<Card> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let holder = ResidentId::parse(input.holder.trim()).map_err(|e| {
            Refusal::field(
                "holder",
                e.to_string(),
                "Not a valid resident identity number",
            )
        })?;
        self.registered(actor, &holder, &input.holder_name).await?;
        let by = doer(actor);
        self.on_books(move |b, now| {
            b.issue(&holder, &input.holder_name, &input.rider_category, now, &by)
        })
        .await
    }

    /// A card is issued only to a person the population registry holds,
    /// under the name it holds: the check is journaled as a read of their
    /// record, and the clerk learns only whether the two agree.
    pub(crate) async fn registered(
        &self,
        actor: &Actor,
        holder: &ResidentId,
        name: &str,
    ) -> Result<()> {
        let now = self.now_micros();
        let (actor, number, name) = (actor.clone(), holder.as_str().to_string(), name.to_string());
        let verdict = self
            .db
            .write(async move |tx: &mut sunshine_store::WriteTx| -> Result<_> {
                crate::registry::identity::check_at_counter(tx, &actor, &number, &name, "card", now)
                    .await
            })
            .await?;
        match verdict {
            IdentityCheck::Matches => Ok(()),
            IdentityCheck::NameDiffers => Err(Refusal::field(
                "holder_name",
                "姓名与人口基础库中该身份号码的登记不符，请核对身份证件",
                "The name is not the one the population registry holds for this number: check the identity card",
            )
            .into()),
            IdentityCheck::NotRegistered => Err(Refusal::field(
                "holder",
                "人口基础库中没有该居民：请先到居住地社区登记",
                "The population registry does not hold this resident: they register with their community first",
            )
            .into()),
        }
    }

    /// A step of a card's life. A holder may report their own card lost
    /// (and cancel the report); every other step is a clerk's.
    pub async fn card_command(
        &self,
        actor: &Actor,
        number: &str,
        command: CardCommand,
    ) -> Result<(Card, Option<Card>)> {
        let holder = self.holder_of(number).await?;
        let own = matches!(command, CardCommand::ReportLoss | CardCommand::CancelLoss);
        self.may_serve(actor, &holder).await?;
        if !own {
            self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        }
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.command(&number, &command, now, &by))
            .await
    }

    /// Put money on a card: at a counter, or online by its holder.
    pub async fn top_up(&self, actor: &Actor, number: &str, input: TopUp) -> Result<Transfer> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let number = number.to_string();
        // A clerk takes cash (or a bank's payment) at the counter; a holder
        // online moves money from the card's account, which is paid into at
        // a counter or by bank, to its wallet.
        if self
            .authorize_centre(actor, crate::CentreWork::ServeCardholder)
            .is_ok()
        {
            return self
                .on_books_recalling(vec![input.id], move |b, now| {
                    b.top_up(&number, input.purse, input.amount, input.id, now)
                })
                .await;
        }
        if input.purse != Purse::Wallet {
            return Err(Refusal::field(
                "purse",
                "实名账户请在服务网点或通过银行存入",
                "Money goes into the account at a service hall or by bank",
            )
            .into());
        }
        self.on_books_recalling(vec![input.id], move |b, now| {
            b.top_up_from_account(&number, input.amount, input.id, now)
        })
        .await
    }

    /// Hold the public-bicycle deposit in a card's wallet, or release it
    /// (its holder, or a card clerk).
    pub async fn bike_deposit(&self, actor: &Actor, number: &str, hold: bool) -> Result<Transfer> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.bike_deposit(&number, hold, now, &by))
            .await
    }

    /// The passes on sale: product id, name, price in fen, days.
    pub async fn pass_products(&self) -> Result<Vec<(String, String, i64, u32)>> {
        self.on_books(|b, _| {
            Ok(b.rules
                .fares
                .products
                .iter()
                .filter(|p| p.duration_days > 0)
                .map(|p| {
                    (
                        p.fare_product_id.clone(),
                        p.fare_product_name.clone(),
                        p.amount,
                        p.duration_days,
                    )
                })
                .collect())
        })
        .await
    }

    /// Buy a pass from the card's wallet (its holder, or a card clerk).
    pub async fn buy_pass(
        &self,
        actor: &Actor,
        number: &str,
        input: BuyPass,
    ) -> Result<book::Pass> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        let day = input
            .first_day
            .trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| {
                Refusal::field("first_day", "日期格式为 YYYY-MM-DD", "A day is YYYY-MM-DD")
            })?;
        let (by, number) = (doer(actor), number.to_string());
        self.on_books(move |b, now| b.buy_pass(&number, &input.product, day, now, &by))
            .await
    }

    /// A card with its balances and recent taps.
    pub async fn card_view(&self, actor: &Actor, number: &str) -> Result<CardView> {
        self.read_card(actor, number, ReadPurpose::CounterService)
            .await
    }

    /// A card with its balances, rides and medical records, for its holder
    /// or a clerk; a clerk's read is journaled and shown to the holder.
    pub async fn read_card(
        &self,
        actor: &Actor,
        number: &str,
        purpose: ReadPurpose,
    ) -> Result<CardView> {
        let holder = self.holder_of(number).await?;
        self.may_serve(actor, &holder).await?;
        if actor.kind == UserKind::Staff {
            let read = card_read(purpose, &holder, &[number.to_string()]);
            self.record_staff_read(actor, read).await?;
        }
        self.view_of(number).await
    }

    pub(super) async fn view_of(&self, number: &str) -> Result<CardView> {
        let n = number.to_string();
        let (
            card,
            balances,
            (denied, newest),
            (places, products, entitlements, (bike_deposit, bike_out), passes),
        ) = self
            .on_books(move |b, now| {
                let card = b
                    .card(&n)
                    .cloned()
                    .ok_or_else(|| Refusal::not_found("该卡", "The card"))?;
                let denied = b
                    .deny_list()
                    .into_iter()
                    .find(|(c, _)| *c == n)
                    .map(|(_, r)| r);
                let places: Vec<(u64, String)> = b
                    .parties()
                    .into_iter()
                    .map(|p| (p.id, p.name.clone()))
                    .collect();
                let products: Vec<(String, String)> = b
                    .rules
                    .fares
                    .products
                    .iter()
                    .map(|p| (p.fare_product_id.clone(), p.fare_product_name.clone()))
                    .collect();
                let entitlements = b
                    .entitlements_of(&card.holder)
                    .into_iter()
                    .map(|e| EntitlementView {
                        verdict: b.check_entitlement(&n, e.kind, now),
                        entitlement: e,
                    })
                    .collect::<Vec<_>>();
                Ok((
                    card.clone(),
                    b.balances(card.id),
                    (denied, b.newest_tap(card.id).cloned()),
                    (
                        places,
                        products,
                        entitlements,
                        b.bike_state(card.id),
                        b.passes_of(&card.holder),
                    ),
                ))
            })
            .await?;
        let (taps, medical) = {
            let mut conn = self.db.read().await?;
            (
                sunshine_store::card::taps_of(&mut conn, newest.as_ref(), RECENT_TAPS).await?,
                sunshine_store::card::medical_of(&mut conn, &card.holder, RECENT_MEDICAL).await?,
            )
        };
        let place_of = |party: u64| {
            places
                .iter()
                .find(|(id, _)| *id == party)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        let medical = medical
            .into_iter()
            .map(|record| MedicalView {
                place: place_of(record.party),
                record,
            })
            .collect();
        let taps = taps
            .into_iter()
            .map(|tap| TapView {
                product_name: products
                    .iter()
                    .find(|(id, _)| *id == tap.product)
                    .map_or_else(|| tap.product.clone(), |(_, n)| n.clone()),
                place: place_of(tap.party),
                tap,
            })
            .collect();
        Ok(CardView {
            card,
            balances,
            denied,
            taps,
            entitlements,
            bike_deposit,
            bike_out,
            passes,
            medical,
        })
    }

    /// The signed-in resident's cards, newest first.
    pub async fn my_cards(&self, actor: &Actor) -> Result<Vec<CardView>> {
        let me = self.resident_of(actor).await?;
        let numbers = self
            .on_books(move |b, _| {
                Ok(b.cards_of(&me)
                    .into_iter()
                    .map(|c| c.number.clone())
                    .collect::<Vec<_>>())
            })
            .await?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            out.push(self.view_of(&n).await?);
        }
        Ok(out)
    }

    /// A resident's cards, for a clerk.
    pub async fn cards_of(&self, actor: &Actor, holder: &str) -> Result<Vec<Card>> {
        self.cards_of_for(actor, holder, ReadPurpose::CounterService)
            .await
    }

    /// A resident's cards, for a clerk: a read journaled and shown to them.
    pub async fn cards_of_for(
        &self,
        actor: &Actor,
        holder: &str,
        purpose: ReadPurpose,
    ) -> Result<Vec<Card>> {
        self.authorize_centre(actor, crate::CentreWork::ServeCardholder)?;
        let holder = holder.trim().to_string();
        let h = holder.clone();
        let cards: Vec<Card> = self
            .on_books(move |b, _| Ok(b.cards_of(&h).into_iter().cloned().collect()))
            .await?;
        if !cards.is_empty() {
            let numbers: Vec<String> = cards.iter().map(|c| c.number.clone()).collect();
            self.record_staff_read(actor, card_read(purpose, &holder, &numbers))
                .await?;
        }
        Ok(cards)
    }
}
