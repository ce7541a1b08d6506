"""What the demo builds for each district, and the published figures it must reproduce.

Structure counts (streets, communities, grids...) shape the layout; ``targets`` are the
figures of ../shared/reference/seed_figures.csv that the generator hits exactly (counts)
or within half a percentage point (rates). Numbers published as "…余/多" (more than) are
generated a little above the published value. Anything unpublished is plausible filler.
"""

from __future__ import annotations

CITIES = {
    "420100": ("武汉市", "湖北省"),
    "420600": ("襄阳市", "湖北省"),
    "210700": ("锦州市", "辽宁省"),
    "510900": ("遂宁市", "四川省"),
    "350800": ("龙岩市", "福建省"),
    "430600": ("岳阳市", "湖南省"),
}

# Per district: layout, volumes and targets.
#   streets/towns: 街道 and 镇; communities sit in streets, villages in towns.
#   grids_street/grids_town: grids in communities / in villages.
#   compounds_same / compounds_larger: compounds laid out to coincide with one grid, or to span two.
#   issues_per_year: background issue volume; volunteers: registered volunteers.
#   reform / notices: see data_access.demo.practices.
SEED_DISTRICTS: dict[str, dict] = {
    "420103": dict(  # 江汉区 (seed 000)
        streets=13,
        towns=0,
        communities=109,
        villages=0,
        grids_street=660,
        grids_town=0,
        micro_grids=1400,
        compounds=705,
        compounds_same=330,
        compounds_larger=40,
        core_weight=0.3,
        households=(250, 700),
        old_compounds=380,
        issues_per_year=12000,
        volunteers=6000,
        teams=60,
        targets=dict(
            compound_branches=597,
            secretary_retired_cadre=265,
            secretary_community_worker=332,
            building_groups=2236,
            center_households=5090,
            compound_stations=213,
            property_branches=220,
            property_companies=246,
            bundled_old=296,
            committee_eligible=480,
            committees_formed=422,
            committee_party_share=0.51,
            tri_party_settled=3150,
            fee_lift=26,
        ),
    ),
    "420106": dict(  # 武昌区 (seed 004)
        streets=14,
        towns=0,
        communities=144,
        villages=0,
        grids_street=1272,
        grids_town=0,
        micro_grids=25000,
        compounds=686,
        compounds_same=150,
        compounds_larger=120,
        core_weight=0.3,
        households=(300, 1100),
        old_compounds=260,
        issues_per_year=15000,
        volunteers=7000,
        teams=80,
        targets=dict(),
    ),
    "420602": dict(  # 襄城区 (seed 001)
        streets=5,
        towns=4,
        communities=49,
        villages=60,
        grids_street=215,
        grids_town=120,
        micro_grids=700,
        compounds=650,
        compounds_same=120,
        compounds_larger=30,
        core_weight=0.5,
        households=(150, 600),
        old_compounds=200,
        issues_per_year=6000,
        volunteers=3500,
        teams=45,
        targets=dict(
            grid_branches=215,
            building_groups=673,
            center_households=1849,
            property_companies=35,
            property_branches=13,
            cross_appointment_companies=23,
            cross_appointments=64,
            owners_committees=35,
            management_committees=7,
            committees_party_majority=27,
            pilot_respondents=1200,
            pilot_satisfied=1116,
            stations_total=479,
            professional_compounds=587,
            joint_meeting_settled=580,
        ),
    ),
    "210711": dict(  # 太和区 (seed 000)
        streets=8,
        towns=4,
        communities=62,
        villages=48,
        grids_street=300,
        grids_town=83,
        micro_grids=900,
        compounds=320,
        compounds_same=60,
        compounds_larger=20,
        core_weight=0.5,
        households=(150, 600),
        old_compounds=120,
        issues_per_year=5000,
        volunteers=3000,
        teams=92,
        targets=dict(
            partner_units=89,
            full_time_workers=383,
            dedicated_workers=560,
            party_building_heads=1194,
            points_stores=29,
            party_volunteers=1046,
            resident_request_closed=836,
            drone_closed=108,
            steward_closed=129,
            resident_order_closed=930,
            disputes_due=600,
            disputes_closed=588,
            visit_disputes=381,
            registry_entries=91000,
            responsibility_zones=87,
        ),
    ),
    "510903": dict(  # 船山区 (seed 001)
        streets=6,
        towns=8,
        communities=42,
        villages=170,
        grids_street=90,
        grids_town=210,
        micro_grids=1072,
        micro_area_km2=0.37,
        compounds=220,
        compounds_same=20,
        compounds_larger=10,
        core_weight=0.6,
        households=(120, 500),
        old_compounds=80,
        issues_per_year=4000,
        volunteers=2500,
        teams=40,
        targets=dict(
            micro_grid_workers=1072,
            micro_grid_party=426,
            commended=299,
            replaced=15,
            allowance=(50, 150),
            disputes_due=500,
            disputes_closed=481,
            emergencies_due=200,
            emergencies_closed=186,
            petitions_last_12m=116,
            petitions_prior_12m=340,
        ),
        # 细化微网格: the layout before (fewer, larger units covering less) and notices down the chain.
        reform=dict(days_before=600, mean_area_km2=0.57, expansion=56),
        notices=dict(per_year=12, years=3, hours_before=3.0, hours_after=1.5),
    ),
    "350802": dict(  # 新罗区 (seed 002)
        streets=7,
        towns=10,
        communities=73,
        villages=120,
        grids_street=308,
        grids_town=220,
        micro_grids=1500,
        compounds=900,
        compounds_same=150,
        compounds_larger=40,
        core_weight=0.6,
        households=(150, 700),
        old_compounds=330,
        issues_per_year=9000,
        volunteers=5000,
        teams=318,
        targets=dict(
            compound_branches=530,
            weak_compounds=100,
            property_closed=6520,
            in_service=4320,
            in_service_activities=846,
            compound_stations=338,
            venues_built=167,
            party_chairs=204,
            committees_formed=320,
            property_companies=130,
            credit_rated_2021=108,
            renovated_2021=239,
        ),
    ),
    "430602": dict(  # 岳阳楼区 (seed 003)
        streets=15,
        towns=2,
        communities=90,
        villages=22,
        grids_street=600,
        grids_town=75,
        micro_grids=1819,
        compounds=977,
        compounds_same=262,
        compounds_larger=40,
        core_weight=0.5,
        households=(120, 600),
        old_compounds=350,
        issues_per_year=22000,
        volunteers=4500,
        teams=316,
        targets=dict(
            compound_branches=357,
            same_area_branches=247,
            sunk_staff=3080,
            grid_events_2021=11925,
            grid_events_2021_closed=11138,
            property_branches=39,
            compound_stations=115,
            in_service=8150,
        ),
    ),
}

# 武汉市's city-wide figures (seed 004): the eleven districts beyond 江汉区 and 武昌区 are generated so that the
# whole city reproduces them (data_access.demo.city). Counts exact; "this year" counts from 1 January.
CITY_TARGETS = dict(
    communities=1525,  # 社区党组织: one per community or village
    compound_stations=2348,  # 小区党群驿站
    compound_branches=5879,  # 小区党组织
    building_groups=30142,  # 楼栋党小组
    community_workers=21294,  # 社区工作者
    workers_per_10k=18,  # 社区工作者配置标准, per 10,000 permanent residents
    in_service=156000,  # 报到党员
    partner_units=1899,  # 结对单位党组织
    joint_projects=3152,  # 共建项目清单
    professional_teams=8015,  # 专业服务团队
    neighbourhood_teams=6443,  # 小区邻里服务队
    co_creation_this_year=1762,  # 共同缔造实事项目
    service_items=694,  # 居民可就近办理服务事项 (distinct items)
    questions_this_year=3674,  # 征集群众关心问题
    frequent_topics=20,  # 高频问题
    old_takeovers=913,  # 老旧小区物业转为企业接管
)
