"""The stated parameters of the demo processes.

Every number a generated file is drawn from lives here, so that ``ground_truth.json`` can state
them and tests can check the files against them. Factors that must have mean 1 are normalised
once, at import, and rounded so that the values written to the truth are the values used.
"""

from __future__ import annotations

import numpy as np


def _mean_one(raw: tuple[float, ...]) -> tuple[float, ...]:
    arr = np.asarray(raw, dtype=float)
    return tuple(round(float(v), 6) for v in arr / arr.mean())


# --- calendar --------------------------------------------------------------------------------
# Multiplicative factors on acquisition (spend) and on the purchase rate; each has mean 1.
MONTH_FACTORS = _mean_one((0.86, 0.80, 0.90, 0.93, 0.96, 0.93, 0.91, 0.94, 0.98, 1.04, 1.27, 1.48))
WEEKDAY_FACTORS = _mean_one((0.96, 0.92, 0.94, 0.98, 1.04, 1.12, 1.04))  # Monday .. Sunday
ACQUISITION_GROWTH = 0.25  # yearly growth of spend and of the organic baseline
SPEND_NOISE_SIGMA = 0.15  # daily multiplicative log-normal noise on spend / organic baseline
# Hour of day of orders (weights, 0h .. 23h); minutes and seconds are uniform.
HOUR_WEIGHTS = (
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.6, 2.6, 3.4, 4.2, 4.8,
    5.2, 5.0, 4.8, 4.8, 5.0, 5.6, 6.4, 7.2, 7.4, 6.4, 4.2, 2.2,
)  # fmt: skip

# --- acquisition -----------------------------------------------------------------------------
PAID_CHANNELS = ("Paid Search", "Social", "Email", "Affiliates", "Display")
ORGANIC_CHANNELS = ("Organic", "Referral")
CHANNELS = PAID_CHANNELS + ORGANIC_CHANNELS
# Expected share of new customers per channel (before growth/seasonality, which all share).
CHANNEL_SHARE = {
    "Paid Search": 0.24,
    "Social": 0.18,
    "Email": 0.10,
    "Affiliates": 0.08,
    "Display": 0.07,
    "Organic": 0.23,
    "Referral": 0.10,
}
CPA = {"Paid Search": 45.0, "Social": 38.0, "Email": 12.0, "Affiliates": 55.0, "Display": 70.0}
CPM = {"Paid Search": 25.0, "Social": 8.0, "Email": 0.6, "Affiliates": 4.0, "Display": 3.0}
CTR = {"Paid Search": 0.035, "Social": 0.012, "Email": 0.025, "Affiliates": 0.008, "Display": 0.004}
CAMPAIGNS = {
    "Paid Search": "search_brand",
    "Social": "social_prospecting",
    "Email": "email_newsletter",
    "Affiliates": "affiliate_partners",
    "Display": "display_retargeting",
}

# --- customers -------------------------------------------------------------------------------
NEVER_PURCHASE_SHARE = 0.10
SEGMENTS = {"Consumer": 0.72, "Small Business": 0.20, "Enterprise": 0.08}
REGIONS = {"North America": 0.38, "Europe": 0.32, "Asia Pacific": 0.20, "Latin America": 0.10}
COUNTRIES = {
    "North America": {"United States": 0.82, "Canada": 0.18},
    "Europe": {
        "Germany": 0.24,
        "United Kingdom": 0.22,
        "France": 0.18,
        "Spain": 0.12,
        "Italy": 0.12,
        "Netherlands": 0.12,
    },
    "Asia Pacific": {
        "Japan": 0.30,
        "Australia": 0.25,
        "India": 0.20,
        "Singapore": 0.12,
        "South Korea": 0.13,
    },
    "Latin America": {
        "Brazil": 0.40,
        "Mexico": 0.30,
        "Argentina": 0.12,
        "Chile": 0.10,
        "Colombia": 0.08,
    },
}

# --- repeat purchases: BG/NBD (Fader, Hardie & Lee 2005), time unit weeks ----------------------
BGNBD = {"r": 1.0, "alpha": 8.0, "a": 1.2, "b": 10.0}

# --- order value: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV") ---------------------
GAMMA_GAMMA = {"p": 4.0, "q": 3.5, "gamma": 70.0}

# --- products --------------------------------------------------------------------------------
PRODUCTS_PER_CUSTOMER = 500 / 20_000
PRODUCTS_MIN, PRODUCTS_MAX = 200, 2_000
UNSOLD_SHARE = 0.20  # extra catalogue rows (discontinued/new) that no order line uses
# category: (share of products, median list price, log-sd of price, mean margin)
CATEGORIES = {
    "Electronics": (0.16, 95.0, 0.95, 0.25),
    "Home & Kitchen": (0.15, 42.0, 0.80, 0.40),
    "Clothing": (0.15, 34.0, 0.65, 0.55),
    "Beauty": (0.11, 18.0, 0.60, 0.60),
    "Sports & Outdoors": (0.12, 40.0, 0.85, 0.40),
    "Toys & Games": (0.11, 24.0, 0.70, 0.45),
    "Books": (0.10, 15.0, 0.45, 0.30),
    "Grocery": (0.10, 9.0, 0.60, 0.20),
}
CATEGORY_NAMES = tuple(CATEGORIES)
MARGIN_SD = 0.04  # per-product margin = category margin + N(0, MARGIN_SD), clipped to [0.05, 0.8]
PRICE_MIN, PRICE_MAX = 1.99, 2_499.99
STOCK_MEAN = 180.0  # stock_level ~ negative binomial with this mean (some zeros)

# First line of an order: category probabilities; later lines: the transition matrix rows.
FIRST_CATEGORY = (0.17, 0.16, 0.17, 0.11, 0.11, 0.10, 0.09, 0.09)
# Row: category of the previous line; column: category of the next line (order of CATEGORIES).
CATEGORY_TRANSITIONS = (
    (0.30, 0.14, 0.08, 0.05, 0.12, 0.15, 0.10, 0.06),  # Electronics
    (0.10, 0.32, 0.06, 0.08, 0.06, 0.06, 0.07, 0.25),  # Home & Kitchen
    (0.06, 0.06, 0.36, 0.20, 0.18, 0.04, 0.05, 0.05),  # Clothing
    (0.04, 0.08, 0.24, 0.34, 0.08, 0.04, 0.06, 0.12),  # Beauty
    (0.12, 0.05, 0.24, 0.06, 0.34, 0.06, 0.06, 0.07),  # Sports & Outdoors
    (0.14, 0.06, 0.06, 0.04, 0.08, 0.36, 0.20, 0.06),  # Toys & Games
    (0.10, 0.08, 0.05, 0.05, 0.06, 0.20, 0.38, 0.08),  # Books
    (0.04, 0.26, 0.05, 0.12, 0.06, 0.05, 0.06, 0.36),  # Grocery
)
N_BUNDLES = 20
BUNDLE_PROBABILITY_RANGE = (0.35, 0.65)  # per bundle, drawn once and stated

# --- orders ----------------------------------------------------------------------------------
LINES_PER_ORDER = (0.38, 0.30, 0.19, 0.13)  # P(1, 2, 3, 4 lines) before the value cap
MIN_LINE_SHARE_CENTS = 1_200  # an order has at most max(1, z // $12) lines
# line share of z = (1/L + Dirichlet(2, ..., 2)) / 2: no line holds less than half an equal split
LINE_SHARE_CONCENTRATION = 2.0
PROMO_SHARE = 0.25  # orders with a promotion: every line gets the promotion's discount rate
PROMO_RATES = {5: 0.35, 10: 0.35, 15: 0.2, 20: 0.1}  # discount in percent: probability
QUANTITIES = (1, 2, 3, 4, 5, 6)
QUANTITY_WEIGHTS = (0.62, 0.20, 0.09, 0.05, 0.025, 0.015)
REFUND_SHARE = 0.03
CANCEL_SHARE = 0.02
SALES_CHANNELS = {"online": 0.45, "mobile_app": 0.30, "marketplace": 0.15, "retail_store": 0.10}
CURRENCY = "USD"

# --- reviews ---------------------------------------------------------------------------------
REVIEW_SHARE = 0.06  # of completed and refunded order lines
REVIEW_DELAY_MEAN_DAYS = 7.0  # review_date = order date + floor(Exponential(mean))
# latent = base + quality(product) - p_effect * (p - E[p]) - refund_penalty * [refunded] + Logistic
# rating = 1 + number of cut points below the latent value
REVIEW_MODEL = {"base": 2.6, "quality_sd": 0.7, "p_effect": 3.0, "refund_penalty": 1.5}
REVIEW_CUT_POINTS = (0.0, 1.0, 2.0, 3.0)

# --- sales pipeline --------------------------------------------------------------------------
DEALS_PER_CUSTOMER = 0.08
DEALS_MIN = 50
STAGES = ("Lead", "Qualified", "Proposal", "Negotiation", "Won")
# P(reach stage k+1 | reached stage k), for Lead→Qualified, ..., Negotiation→Won
STAGE_CONVERSION = (0.55, 0.60, 0.65, 0.70)
STAGE_DAYS_MEAN = (12.0, 15.0, 18.0, 12.0)  # exponential time spent in each stage before moving on
DEAL_AMOUNT = {"median": 12_000.0, "log_sd": 0.8}
DEAL_GROWTH = 0.20  # yearly growth of deal creation
DEAL_EXPECTED_CLOSE_DAYS = 60.0  # owner's estimate: created + 60 days × LogNormal(0, 0.3)
WON_LINK_SHARE = 0.60  # won deals that name a (business) customer
OTHER_LINK_SHARE = 0.50  # open and lost deals that name an existing business customer (upsell)
DEAL_OWNERS = (
    "Alice Martin", "Bruno Costa", "Chen Wei", "Dana Kowalski", "Elif Yilmaz",
    "Farah Haddad", "Gabriel Silva", "Hana Sato", "Ivan Petrov", "Julia Weber",
)  # fmt: skip
DEAL_SOURCES = {"Inbound": 0.35, "Outbound": 0.25, "Referral": 0.15, "Partner": 0.15, "Event": 0.10}

# --- stated events (bizsight.demo.events) ------------------------------------------------------
# Over the last complete quarter, this share of the category's order lines in the region is bought
# in other categories instead (order values unchanged): the category's revenue there drops by it.
CATEGORY_DROP = {"category": "Electronics", "region": "Europe", "share": 0.40}

# --- targets and market ----------------------------------------------------------------------
TARGET_RATIO_TOTAL = 1.05
TARGET_RATIO_REGION = {
    "North America": 1.06,
    "Europe": 1.04,
    "Asia Pacific": 1.10,
    "Latin America": 1.02,
}
TARGET_RATIO_BOOKINGS = 1.10  # the bookings plan asks 10 % above the won run rate, grown
TARGET_PLAN_GROWTH = 0.20  # yearly growth assumed when projecting the expected revenue
MARKET_SHARE_START = 0.03  # our share of each regional market in the first quarter
MARKET_GROWTH = 0.06  # yearly growth of market size
MARKET_NOISE_SIGMA = 0.03
COMPETITORS = {
    "Northwind Retail": 0.16,
    "Contoso Goods": 0.11,
    "Fabrikam Direct": 0.07,
    "Tailspin Outlet": 0.04,
}  # share of the market, with log-normal noise (sd 0.05) per quarter
