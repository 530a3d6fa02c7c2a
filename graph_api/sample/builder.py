"""Deterministic builder of the 清河门区 sample data set (``loaders/sample/qinghemen.json``).

Run ``python -m graph_api.sample.builder`` to regenerate the file. The output depends only on
the fixed seed below (no wall clock, no set iteration order), so it is byte-for-byte stable.

What is real: the district (清河门区, GB/T 2260 code 210905), the street 新北街道 and its
communities 乌龙社区, 北山社区 and 新街社区, and the figures reported in the source article
(see ``FIGURES``). Everything else -- the second street, the other communities, every name,
address, person, phone number, ID number, building and every count the article does not give --
is invented. Coverage gaps are planted on purpose and listed in ``meta.plantedGaps``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from graph_api.domain import enums as e
from graph_api.domain.model import KIND_BY_NAME
from graph_api.domain.values import id_check_digit

SEED = 20211
AS_OF = dt.date(2022, 6, 30)
ELECTED_2021 = dt.date(2021, 5, 15)
ELECTED_2018 = dt.date(2018, 5, 15)
DISTRICT_ID = "210905"
OUTPUT = Path(__file__).resolve().parents[2] / "loaders" / "sample" / "qinghemen.json"

#: (street code, name, invented?, communities); the first three communities are in the article
STREETS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("210905001", "新北街道", False, ("乌龙社区", "北山社区", "新街社区", "东苑社区", "南岭社区", "康乐社区", "兴华社区")),
    ("210905002", "河西街道", True, ("河畔社区", "柳林社区", "西园社区", "阳光社区", "福安社区", "育才社区")),
)
REAL_COMMUNITIES = ("乌龙社区", "北山社区", "新街社区")

#: the article's figures, reproduced exactly by the data
FIGURES = {
    "communities": 13,
    "oneShoulderSecretaries": 13,
    "cadres2021": 83,
    "cadreAverageAge2021": 38,
    "cadreAverageAge2018": 47,
    "cadresUnder35": 31,
    "cadresAssociateOrHigher": 70,
    "cadresBachelor": 21,
    "assistantSocialWorkers": 5,
    "assaultTeamsXinbei": 12,
    "assaultTeamMembersXinbei": 189,
    "serviceCarriers": 35,
    "serviceCategories": 5,
    "needyFamiliesHelped": 95,
    "studentsAided": 18,
    "jointUnitInvestmentYuan": 426_800,
    "solarLamps": 43,
    "convenienceFacilitySets": 30,
    "donatedItems": 3_268,
    "volunteerLabourPersonTimes": 746,
}

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
            "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
CN_NUM = "一二三四五六七八九十"
SPECIALTIES = ("理发", "家电维修", "水电维修", "法律咨询", "书法", "医疗护理", "心理疏导", "电脑维修", "文艺演出",
               "厨艺", "辅导功课", "摄影", "中医推拿", "手机使用教学", "剪纸", "太极拳")
ALL_CATEGORIES = [c.value for c in e.ServiceCategory]

# ----------------------------------------------------------------------------- date helpers


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def age_at(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def days_before(days: int, on: dt.date = AS_OF) -> dt.date:
    return on - dt.timedelta(days=days)



# ----------------------------------------------------------------------------- the builder


class Builder:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.nodes: list[tuple[str, str, dict[str, Any]]] = []
        self.props: dict[tuple[str, str], dict[str, Any]] = {}
        self.edges: list[list[str]] = []
        self.gaps: list[dict[str, str]] = []
        self._name_counter: dict[str, int] = {}
        self._phones = list(range(10000))
        self.rng.shuffle(self._phones)
        self._id_numbers: set[str] = set()
        self._seq: dict[str, int] = {}
        # territory
        self.streets: list[dict[str, Any]] = []
        self.communities: list[dict[str, Any]] = []
        self.comm_by_name: dict[str, dict[str, Any]] = {}
        self.street_committee: dict[str, str] = {}
        self.members: list[dict[str, Any]] = []

    # -- primitives -------------------------------------------------------------------------
    def node(self, kind: str, id_: str, /, **props: Any) -> dict[str, Any]:
        key = (kind, id_)
        if key in self.props:
            raise ValueError(f"duplicate {kind} {id_}")
        p = dict(props)
        self.nodes.append((kind, id_, p))
        self.props[key] = p
        return p

    def edge(self, from_kind: str, from_id: str, rel: str, to_kind: str, to_id: str) -> None:
        self.edges.append([from_kind, from_id, rel, to_kind, to_id])

    def seq(self, prefix: str, width: int) -> str:
        n = self._seq.get(prefix, 0) + 1
        self._seq[prefix] = n
        return f"{prefix}{n:0{width}d}"

    def gap(self, check: str, kind: str, id_: str, zh: str, en: str) -> None:
        self.gaps.append({"check": check, "kind": kind, "id": id_, "zh": zh, "en": en})

    def person_name(self) -> str:
        s = self.rng.choice(SURNAMES)
        n = self._name_counter.get(s, 0) + 1
        self._name_counter[s] = n
        return f"{s}某{n}"

    def phone(self) -> str:
        return f"1390000{self._phones.pop():04d}"

    def id_number(self, birth: dt.date, male: bool) -> str:
        seqs = list(range(900, 1000))
        self.rng.shuffle(seqs)
        for s in seqs:
            if (s % 2 == 1) != male:
                continue
            first17 = f"{DISTRICT_ID}{birth:%Y%m%d}{s:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self._id_numbers:
                self._id_numbers.add(number)
                return number
        raise RuntimeError("ran out of ID sequence numbers")

    def birth_for_age(self, age: int, on: dt.date = AS_OF) -> dt.date:
        """A birth date giving exactly ``age`` whole years on ``on``."""
        start = add_years(on, -(age + 1)) + dt.timedelta(days=1)
        end = add_years(on, -age)
        b = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
        assert age_at(b, on) == age
        return b

    def rand_date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def pick(self, items: list[Any], weights: list[float]) -> Any:
        return self.rng.choices(items, weights=weights, k=1)[0]

    @staticmethod
    def scope(comm: dict[str, Any] | None, street_id: str | None = None) -> dict[str, str]:
        if comm is None:
            return {"streetId": street_id} if street_id else {}
        return {"streetId": comm["street"], "communityId": comm["id"]}

    # -- build ------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.territory()
        self.households()
        self.cadres()
        self.party_orgs_and_members()
        self.homes_and_reporting()
        self.grid_groups()
        self.grid_staff()
        self.volunteers_and_deputies()
        self.teams()
        self.care_and_pairings()
        self.joint_units_and_resources()
        self.projects_and_needs()
        self.service_carriers()
        self.activities()
        self.settle_reporting_and_quiet_spots()
        return self.output()

    # -- territory --------------------------------------------------------------------------
    def complex_names(self, count: int) -> list[str]:
        first = "福康和兴安嘉锦瑞祥泰丰华景润怡馨盛金翠春鑫宏长宁"
        suffixes = ("苑", "小区", "家园", "里", "花园")
        names: list[str] = []
        while len(names) < count:
            a, b = self.rng.sample(first, 2)
            name = f"{a}{b}{self.rng.choice(suffixes)}"
            if all(not n.startswith(a + b) for n in names):
                names.append(name)
        return names

    def territory(self) -> None:
        rng = self.rng
        self.node("District", DISTRICT_ID, name="清河门区", code=DISTRICT_ID, asOfDate=AS_OF,
                  dataNote=DESCRIPTION)
        complex_pool = self.complex_names(120)
        for s_code, s_name, _invented, comm_names in STREETS:
            street = {"id": s_code, "name": s_name, "communities": []}
            self.streets.append(street)
            self.node("Street", s_code, name=s_name, code=s_code)
            self.edge("Street", s_code, "PART_OF", "District", DISTRICT_ID)
            for ci, c_name in enumerate(comm_names, start=1):
                c_code = f"{s_code}{ci:03d}"
                office = rng.randrange(420, 730, 10)
                centre = rng.randrange(400, office + 1, 10)
                comm = {"id": c_code, "name": c_name, "street": s_code, "areas": [], "complexes": [],
                        "buildings": [], "units": [], "households": [], "members": [], "branches": [],
                        "volunteers": [], "cadres": []}
                self.communities.append(comm)
                self.comm_by_name[c_name] = comm
                street["communities"].append(comm)
                self.node("Community", c_code, code=c_code, name=c_name, level="COMMUNITY",
                          officeAreaSqm=office, serviceCenterAreaSqm=centre, **self.scope(comm))
                self.edge("Community", c_code, "PART_OF", "Street", s_code)
                for ai in range(1, rng.choice((2, 2, 3)) + 1):
                    a_code = f"{c_code}{ai:02d}"
                    area = {"id": a_code, "name": f"{c_name}第{CN_NUM[ai - 1]}片区", "comm": comm, "complexes": []}
                    comm["areas"].append(area)
                    self.node("Area", a_code, code=a_code, name=area["name"], level="AREA", **self.scope(comm))
                    self.edge("Area", a_code, "PART_OF", "Community", c_code)
                    for xi in range(1, self.pick([1, 2, 3], [0.3, 0.45, 0.25]) + 1):
                        x_code = f"{a_code}{xi:02d}"
                        cx = {"id": x_code, "name": complex_pool.pop(0), "area": area, "comm": comm, "buildings": []}
                        area["complexes"].append(cx)
                        comm["complexes"].append(cx)
                        self.node("Complex", x_code, code=x_code, name=cx["name"], level="COMPLEX", **self.scope(comm))
                        self.edge("Complex", x_code, "PART_OF", "Area", a_code)
                        for bi in range(1, self.pick([2, 3, 4, 5], [0.35, 0.35, 0.18, 0.12]) + 1):
                            b_code = f"{x_code}{bi:03d}"
                            floors = self.pick([3, 4, 5, 6, 7, 8, 9], [0.08, 0.15, 0.27, 0.3, 0.1, 0.05, 0.05])
                            bld = {"id": b_code, "name": f"{cx['name']}{bi}号楼", "cx": cx, "comm": comm,
                                   "units": [], "floors": floors, "no": bi}
                            cx["buildings"].append(bld)
                            comm["buildings"].append(bld)
                            self.node("Building", b_code, code=b_code, name=bld["name"], level="BUILDING",
                                      floors=floors, hazard=rng.random() < 0.03, **self.scope(comm))
                            self.edge("Building", b_code, "PART_OF", "Complex", x_code)
                            for ui in range(1, self.pick([1, 2, 3, 4], [0.2, 0.4, 0.3, 0.1]) + 1):
                                u_code = f"{b_code}{ui:02d}"
                                unit = {"id": u_code, "name": f"{bld['name']}{ui}单元", "bld": bld, "comm": comm,
                                        "households": [], "no": ui}
                                bld["units"].append(unit)
                                comm["units"].append(unit)
                                self.node("StairwellUnit", u_code, code=u_code, name=unit["name"], level="UNIT",
                                          **self.scope(comm))
                                self.edge("StairwellUnit", u_code, "PART_OF", "Building", b_code)
        assert len(self.communities) == FIGURES["communities"]

    def households(self) -> None:
        rng = self.rng
        for comm in self.communities:
            for unit in comm["units"]:
                floors = unit["bld"]["floors"]
                shop_floor = rng.random() < 0.12
                for floor in range(1, floors + 1):
                    for door in (1, 2):
                        room = f"{floor}0{door}"
                        hid = f"{unit['id']}-{room}"
                        if floor == 1 and shop_floor:
                            occ = "SHOP"
                        else:
                            occ = self.pick(["RESIDENT", "RENTED", "VACANT"], [0.74, 0.15, 0.11])
                        head_age = rng.randint(26, 90)
                        male = rng.random() < 0.55
                        birth = self.birth_for_age(head_age)
                        props = self.node("Household", hid, room=room, floor=floor, occupancy=occ,
                                          headName=self.person_name(), phone=self.phone(),
                                          idNumber=self.id_number(birth, male), **self.scope(comm))
                        if occ in ("RESIDENT", "RENTED"):
                            props["size"] = self.pick([1, 2, 3, 4, 5], [0.15, 0.35, 0.3, 0.15, 0.05])
                        hh = {"id": hid, "unit": unit, "comm": comm, "occ": occ, "props": props,
                              "head_age": head_age, "residents": 0, "care": []}
                        unit["households"].append(hh)
                        comm["households"].append(hh)
                        self.edge("Household", hid, "IN_UNIT", "StairwellUnit", unit["id"])

    # -- cadres (社区“两委”班子成员) -----------------------------------------------------------------
    def adjust_sum(self, ages: list[int], target: int, bounds: list[tuple[int, int]]) -> None:
        while sum(ages) != target:
            i = self.rng.randrange(len(ages))
            step = 1 if sum(ages) < target else -1
            lo, hi = bounds[i]
            if lo <= ages[i] + step <= hi:
                ages[i] += step

    def cadres(self) -> None:
        rng = self.rng
        n = FIGURES["cadres2021"]
        young = FIGURES["cadresUnder35"]
        ages = [rng.randint(25, 34) for _ in range(young)] + [rng.randint(35, 56) for _ in range(n - young)]
        bounds = [(25, 34)] * young + [(35, 58)] * (n - young)
        self.adjust_sum(ages, FIGURES["cadreAverageAge2021"] * n, bounds)  # mean exactly 38.0
        # education: 21 本科, 49 大专, 13 below; younger cadres more often hold degrees
        edus = ["BACHELOR"] * 21 + ["ASSOCIATE"] * 49 + ["SENIOR_HIGH"] * 10 + ["JUNIOR_HIGH"] * 3
        order = sorted(range(n), key=lambda i: ages[i] + rng.uniform(-9, 9))
        edu_of = {i: edus[k] for k, i in enumerate(order)}
        people = [{"age": ages[i], "edu": edu_of[i]} for i in range(n)]
        rng.shuffle(people)
        sizes = [7 if ci in (0, 1, 2, 7, 9) else 6 for ci in range(13)]
        assert sum(sizes) == n
        pos = 0
        for comm, size in zip(self.communities, sizes):
            group = people[pos:pos + size]
            pos += size
            # the secretary-director (一肩挑): 35+ with a degree if possible
            cands = [p for p in group if p["age"] >= 35 and p["edu"] in ("ASSOCIATE", "BACHELOR")] or \
                [p for p in group if p["age"] >= 35]
            sec = rng.choice(cands)
            group = [sec] + [p for p in group if p is not sec]
            comm["cadres"] = group
            for k, p in enumerate(group):
                p["positions"] = (["SECRETARY", "DIRECTOR"] if k == 0 else ["DEPUTY_SECRETARY"] if k == 1
                                  else ["DEPUTY_DIRECTOR"] if k == 2 else ["COMMITTEE_MEMBER"])
        everyone = [p for comm in self.communities for p in comm["cadres"]]
        cert_cands = [p for p in everyone if p["age"] < 40 and p["edu"] in ("ASSOCIATE", "BACHELOR")]
        for p in rng.sample(cert_cands, FIGURES["assistantSocialWorkers"]):
            p["certs"] = ["助理社会工作者"]
        for p in rng.sample([p for p in everyone if "certs" not in p], 3):
            p["certs"] = ["心理咨询师"]
        for comm in self.communities:
            for k, p in enumerate(comm["cadres"]):
                male = rng.random() < 0.38
                p.update(name=self.person_name(), gender="MALE" if male else "FEMALE",
                         birth=self.birth_for_age(p["age"], ELECTED_2021),
                         party=k < 2 or rng.random() < 0.8)
                cid = self.seq("CD2021-", 3)
                p["id"] = cid
                self.node("Cadre", cid, name=p["name"], gender=p["gender"], birthDate=p["birth"],
                          education=p["edu"], positions=p["positions"], certificates=p.get("certs", []),
                          termYear=2021, electedDate=ELECTED_2021, partyMember=p["party"], **self.scope(comm))
                self.edge("Cadre", cid, "SERVES", "Community", comm["id"])
        # previous term (2018): 80 cadres, mean age 47; some were re-elected in 2021
        prev_sizes = [7 if ci in (3, 10) else 6 for ci in range(13)]
        prev_people: list[dict[str, Any]] = []
        for comm, size in zip(self.communities, prev_sizes):
            eligible = [p for p in comm["cadres"] if p["age"] >= 41]
            reelected = [rng.choice(eligible)] if eligible else []
            group = [{"re": p, "age": p["age"] - 3} for p in reelected]
            while len(group) < size:
                group.append({"re": None, "age": rng.randint(36, 62)})
            rng.shuffle(group)
            for p in group:
                p["comm"] = comm
            prev_people.extend(group)
        prev_ages = [p["age"] for p in prev_people]
        prev_bounds = [(p["age"], p["age"]) if p["re"] else (34, 64) for p in prev_people]
        self.adjust_sum(prev_ages, FIGURES["cadreAverageAge2018"] * len(prev_people), prev_bounds)
        positions_2018 = (["SECRETARY"], ["DIRECTOR"], ["DEPUTY_DIRECTOR"])
        current_comm = None
        k = 0
        for p, age in zip(prev_people, prev_ages):
            comm = p["comm"]
            if comm is not current_comm:
                current_comm, k = comm, 0
            positions = positions_2018[k] if k < 3 else ["COMMITTEE_MEMBER"]
            k += 1
            if p["re"]:
                r = p["re"]
                name, gender, birth, edu, party = r["name"], r["gender"], r["birth"], r["edu"], r["party"]
                assert age_at(birth, ELECTED_2018) == age
            else:
                male = rng.random() < 0.4
                name, gender = self.person_name(), "MALE" if male else "FEMALE"
                birth = self.birth_for_age(age, ELECTED_2018)
                edu = self.pick(["JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE", "BACHELOR"], [0.2, 0.45, 0.3, 0.05])
                party = rng.random() < 0.75
            cid = self.seq("CD2018-", 3)
            self.node("Cadre", cid, name=name, gender=gender, birthDate=birth, education=edu, positions=positions,
                      termYear=2018, electedDate=ELECTED_2018, partyMember=party, **self.scope(comm))
            self.edge("Cadre", cid, "SERVES", "Community", comm["id"])

    # -- Party organisations and members ----------------------------------------------------
    def new_member(self, comm: dict[str, Any], *, age: int | None = None, template: dict[str, Any] | None = None,
                   category: str | None = None) -> dict[str, Any]:
        rng = self.rng
        if template:
            name, gender, birth, edu = template["name"], template["gender"], template["birth"], template["edu"]
            age = age_at(birth, AS_OF)
        else:
            if age is None:
                band = self.pick([(22, 35), (36, 59), (60, 69), (70, 88)], [0.18, 0.37, 0.22, 0.23])
                age = rng.randint(*band)
            gender = "MALE" if rng.random() < 0.55 else "FEMALE"
            name = self.person_name()
            birth = self.birth_for_age(age)
            if age >= 70:
                edu = self.pick(["PRIMARY", "JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE"], [0.25, 0.4, 0.25, 0.1])
            elif age >= 50:
                edu = self.pick(["JUNIOR_HIGH", "SENIOR_HIGH", "ASSOCIATE", "BACHELOR"], [0.25, 0.4, 0.25, 0.1])
            else:
                edu = self.pick(["SENIOR_HIGH", "ASSOCIATE", "BACHELOR", "POSTGRADUATE"], [0.15, 0.35, 0.42, 0.08])
        if category is None:
            retire_age = 60 if gender == "MALE" else 55
            if age >= retire_age:
                category = "RETIRED"
            else:
                category = "MOBILE" if rng.random() < 0.06 else "EMPLOYED"
        join_age = rng.randint(18, min(age - 1, 45))
        joined = min(add_years(birth, join_age) + dt.timedelta(days=rng.randint(0, 300)), days_before(60))
        mid = self.seq("M", 5)
        props = self.node("Member", mid, name=name, gender=gender, birthDate=birth, education=edu,
                          joinedDate=joined, category=category, phone=self.phone(),
                          idNumber=self.id_number(birth, gender == "MALE"),
                          lastContactDate=days_before(rng.randint(0, 90)), **self.scope(comm))
        if rng.random() < 0.3:
            props["serviceItems"] = sorted(rng.sample(["ELDERLY", "STUDY", "DISABLED", "POVERTY", "CONVENIENCE"],
                                                      rng.randint(1, 2)), key=SERVICE_ORDER.index)
        if rng.random() < 0.22:
            props["specialties"] = rng.sample(SPECIALTIES, rng.randint(1, 2))
        m = {"id": mid, "comm": comm, "age": age, "category": category, "props": props, "home": None,
             "gender": gender}
        self.members.append(m)
        comm["members"].append(m)
        return m

    def party_orgs_and_members(self) -> None:
        rng = self.rng
        self.node("PartyOrg", "PO210905", name="中共清河门区委员会", kind="DISTRICT_COMMITTEE",
                  foundedDate=dt.date(1984, 6, 1))
        for street in self.streets:
            oid = f"PO{street['id']}"
            self.street_committee[street["id"]] = oid
            self.node("PartyOrg", oid, name=f"中共{street['name']}工作委员会", kind="STREET_WORKING_COMMITTEE",
                      foundedDate=dt.date(2002, 3, 1), **self.scope(None, street["id"]))
            self.edge("PartyOrg", oid, "UNDER", "PartyOrg", "PO210905")
        # (current rating, target): exactly two below target (planted); the others meet or exceed it
        stars = {"乌龙社区": (5, 5), "北山社区": (4, 4), "新街社区": (4, 4), "东苑社区": (3, 3), "南岭社区": (4, 3),
                 "康乐社区": (4, 4), "兴华社区": (2, 3), "河畔社区": (4, 4), "柳林社区": (3, 3), "西园社区": (3, 3),
                 "阳光社区": (4, 4), "福安社区": (3, 3), "育才社区": (2, 3)}
        brands = {"乌龙社区": "闪闪红星", "北山社区": "红色头雁", "新街社区": "绿色环保团"}
        for comm in self.communities:
            cc = f"PO{comm['id']}"
            rating, target = stars[comm["name"]]
            props = self.node("PartyOrg", cc, name=f"中共{comm['name']}委员会", kind="COMMUNITY_COMMITTEE",
                              foundedDate=dt.date(rng.randint(2003, 2012), rng.randint(1, 12), 1),
                              starRating=rating, starTarget=target, **self.scope(comm))
            if comm["name"] in brands:
                props["serviceBrand"] = brands[comm["name"]]
            comm["cc"] = cc
            self.edge("PartyOrg", cc, "UNDER", "PartyOrg", self.street_committee[comm["street"]])
            self.edge("PartyOrg", cc, "COVERS", "Community", comm["id"])
            if rating < target:
                self.gap("community_below_star_target", "PartyOrg", cc,
                         f"{comm['name']}党委当前{rating}星，低于争创目标{target}星",
                         f"{comm['name']} Party committee is rated {rating} stars, below its target of {target}")
            bc = f"PO{comm['id']}D"
            comm["bc"] = bc
            self.node("PartyOrg", bc, name=f"{comm['name']}大党委", kind="BIG_COMMITTEE",
                      foundedDate=self.rand_date(dt.date(2019, 3, 1), dt.date(2020, 6, 30)), **self.scope(comm))
            self.edge("PartyOrg", bc, "UNDER", "PartyOrg", cc)
            # members: the secretary-director first, then the rest
            secretary = self.new_member(comm, template=comm["cadres"][0], category="EMPLOYED")
            comm["secretary"] = secretary
            for _ in range(rng.randint(72, 108)):
                self.new_member(comm)
            members = comm["members"][:]
            n = len(members)
            nb = rng.randint(max(2, math.ceil(n / 40)), 5)
            sizes: list[int] = []
            if nb >= 3 and rng.random() < 0.35:
                sizes.append(rng.randint(3, 6))  # a small branch with no committee (fewer than 7 members)
            rest = n - sum(sizes)
            k = nb - len(sizes)
            weights = [rng.uniform(0.75, 1.25) for _ in range(k)]
            big = [int(rest * w / sum(weights)) for w in weights]
            big[0] += rest - sum(big)
            sizes = big + sizes
            assert all(3 <= s <= 50 for s in sizes), sizes
            head, others = members[0], members[1:]
            rng.shuffle(others)
            members = [head] + others
            pos = 0
            for bi, size in enumerate(sizes, start=1):
                bid = f"PO{comm['id']}B{bi}"
                chunk = members[pos:pos + size]
                pos += size
                props = self.node("PartyOrg", bid, name=f"中共{comm['name']}第{CN_NUM[bi - 1]}支部委员会"
                                  if size >= 7 else f"中共{comm['name']}第{CN_NUM[bi - 1]}支部",
                                  kind="BRANCH", foundedDate=self.rand_date(dt.date(2005, 1, 1), dt.date(2019, 12, 31)),
                                  hasBranchCommittee=size >= 7, **self.scope(comm))
                branch = {"id": bid, "members": chunk, "props": props, "size": size}
                comm["branches"].append(branch)
                self.edge("PartyOrg", bid, "UNDER", "PartyOrg", cc)
                for m in chunk:
                    m["branch"] = branch
                    self.edge("Member", m["id"], "MEMBER_OF", "PartyOrg", bid)
                cands = [m for m in chunk if 30 <= m["age"] <= 68 and m is not secretary]
                sec = rng.choice(cands or [m for m in chunk if m is not secretary])
                branch["secretary"] = sec
                self.edge("Member", sec["id"], "SECRETARY_OF", "PartyOrg", bid)
            self.edge("Member", secretary["id"], "SECRETARY_OF", "PartyOrg", cc)
            self.edge("Member", secretary["id"], "SECRETARY_OF", "PartyOrg", bc)
        # planted: a branch with 7+ members and no branch committee
        comm = self.comm_by_name["康乐社区"]
        branch = max(comm["branches"], key=lambda b: b["size"])
        branch["props"]["hasBranchCommittee"] = False
        branch["props"]["name"] = branch["props"]["name"].replace("支部委员会", "支部")
        self.gap("branch_without_committee", "PartyOrg", branch["id"],
                 f"{branch['props']['name']}有{branch['size']}名党员，未设支部委员会",
                 f"branch of {comm['name']} has {branch['size']} members but no branch committee")
        # planted: two members out of contact for more than six months
        for comm_name, last in (("东苑社区", dt.date(2021, 9, 14)), ("阳光社区", dt.date(2021, 11, 3))):
            comm = self.comm_by_name[comm_name]
            ordinary = [m for m in comm["members"][1:] if all(m is not b["secretary"] for b in comm["branches"])]
            m = self.rng.choice([m for m in ordinary if m["category"] == "MOBILE"] or ordinary)
            m["props"]["lastContactDate"] = last
            m["lost"] = True
            self.gap("member_out_of_contact", "Member", m["id"],
                     f"{m['props']['name']}（{comm_name}）最近联系于{last.isoformat()}，已失联超过6个月",
                     f"member of {comm_name} last contacted on {last.isoformat()}, out of contact for 6+ months")

    def homes_and_reporting(self) -> None:
        rng = self.rng
        for comm in self.communities:
            occupied = [h for h in comm["households"] if h["occ"] in ("RESIDENT", "RENTED")]
            for m in comm["members"]:
                if m["category"] == "MOBILE" and rng.random() < 0.6:
                    continue  # working away; no home on record
                if m is not comm["secretary"] and rng.random() < 0.05:
                    continue
                while True:
                    h = rng.choice(occupied)
                    if h["residents"] < 2:
                        break
                h["residents"] += 1
                m["home"] = h
                self.edge("Member", m["id"], "LIVES_IN", "Household", h["id"])
                if h["residents"] == 1 and m["age"] >= 25 and rng.random() < 0.5:
                    h["props"].update(headName=m["props"]["name"], phone=m["props"]["phone"],
                                      idNumber=m["props"]["idNumber"])
        # 双报到: employed members report to the community they live in
        employed = [m for m in self.members if m["category"] == "EMPLOYED"]
        for m in employed:
            if m["home"] is None:
                h = rng.choice([h for h in m["comm"]["households"] if h["occ"] in ("RESIDENT", "RENTED")])
                h["residents"] += 1
                m["home"] = h
                self.edge("Member", m["id"], "LIVES_IN", "Household", h["id"])
        planted = [rng.choice([m for m in self.comm_by_name[c]["members"]
                               if m["category"] == "EMPLOYED" and m is not self.comm_by_name[c]["secretary"]])
                   for c in ("北山社区", "福安社区", "育才社区")]
        for m in planted:
            m["unreported"] = True
            self.gap("employed_member_not_reported", "Member", m["id"],
                     f"在职党员{m['props']['name']}（{m['comm']['name']}）未到居住社区报到",
                     f"employed member of {m['comm']['name']} has not reported to the residential community (双报到)")
        for m in employed:
            if m.get("unreported"):
                continue
            m["props"]["reportedDate"] = self.rand_date(dt.date(2019, 3, 1), dt.date(2022, 3, 31))
            self.edge("Member", m["id"], "REPORTED_TO", "Community", m["home"]["comm"]["id"])

    # -- grid Party groups (网格党小组) ---------------------------------------------------------
    def grid_groups(self) -> None:
        rng = self.rng
        planted = []
        for comm_name in ("南岭社区", "福安社区"):
            comm = self.comm_by_name[comm_name]
            bld = rng.choice([b for b in comm["buildings"] if len(b["units"]) >= 2])
            bld["uncovered"] = True
            planted.append(bld)
            self.gap("building_without_party_group", "Building", bld["id"],
                     f"{comm_name}{bld['name']}（含全部单元）未建立网格党小组",
                     f"building {bld['name']} in {comm_name} and all its units have no grid Party group")
        for comm in self.communities:
            g = 0
            branches = comm["branches"]
            for ai, area in enumerate(comm["areas"]):
                branch = branches[ai % len(branches)]
                for cx in area["complexes"]:
                    pending: list[dict[str, Any]] = []

                    def flush() -> None:
                        nonlocal g, pending
                        if not pending:
                            return
                        g += 1
                        gid = f"PO{comm['id']}G{g:02d}"
                        nums = "、".join(str(b["no"]) for b in pending)
                        self.node("PartyOrg", gid, name=f"{cx['name']}{nums}号楼网格党小组", kind="GRID_GROUP",
                                  foundedDate=self.rand_date(dt.date(2020, 3, 1), dt.date(2021, 6, 30)),
                                  **self.scope(comm))
                        self.edge("PartyOrg", gid, "UNDER", "PartyOrg", branch["id"])
                        for b in pending:
                            self.edge("PartyOrg", gid, "COVERS", "Building", b["id"])
                        pending = []

                    for bld in cx["buildings"]:
                        if bld.get("uncovered"):
                            continue
                        if len(bld["units"]) >= 2 and rng.random() < 0.25:
                            # groups set up in stairwell units: every unit is covered
                            units = bld["units"]
                            i = 0
                            while i < len(units):
                                take = units[i:i + rng.choice((1, 2))]
                                i += len(take)
                                g += 1
                                gid = f"PO{comm['id']}G{g:02d}"
                                label = "、".join(str(u["no"]) for u in take)
                                self.node("PartyOrg", gid, name=f"{bld['name']}{label}单元网格党小组", kind="GRID_GROUP",
                                          foundedDate=self.rand_date(dt.date(2020, 3, 1), dt.date(2021, 6, 30)),
                                          **self.scope(comm))
                                self.edge("PartyOrg", gid, "UNDER", "PartyOrg", branch["id"])
                                for u in take:
                                    self.edge("PartyOrg", gid, "COVERS", "StairwellUnit", u["id"])
                        else:
                            pending.append(bld)
                            if len(pending) >= rng.choice((1, 2, 2)):
                                flush()
                    flush()

    # -- grid leaders, grid workers, building heads -----------------------------------------
    def grid_staff(self) -> None:
        rng = self.rng
        no_leader = self.comm_by_name["西园社区"]["areas"][1]
        no_worker = self.comm_by_name["康乐社区"]["complexes"][-1]
        self.gap("grid_without_leader", "Area", no_leader["id"], f"{no_leader['name']}未明确网格长",
                 f"area {no_leader['name']} has no grid leader")
        self.gap("grid_without_worker", "Complex", no_worker["id"], f"{no_worker['name']}（康乐社区）未配备专职网格员",
                 f"residential complex {no_worker['name']} in 康乐社区 has no full-time grid worker")
        for comm in self.communities:
            sec = comm["secretary"]
            self.edge("Member", sec["id"], "LEADS_GRID", "Community", comm["id"])
            able = [m for m in comm["members"] if 28 <= m["age"] <= 68 and not m.get("lost")]
            for ai, area in enumerate(comm["areas"]):
                if area is not no_leader:
                    leader = comm["branches"][ai % len(comm["branches"])]["secretary"]
                    self.edge("Member", leader["id"], "LEADS_GRID", "Area", area["id"])
                self.grid_worker(comm, "Area", area["id"])
                for cx in area["complexes"]:
                    living = [m for m in able if m["home"] and m["home"]["unit"]["bld"]["cx"] is cx]
                    leader = rng.choice(living or able)
                    self.edge("Member", leader["id"], "LEADS_GRID", "Complex", cx["id"])
                    if cx is not no_worker:
                        self.grid_worker(comm, "Complex", cx["id"])
                    for bld in cx["buildings"]:
                        if rng.random() < 0.86:
                            living = [m for m in able if m["home"] and m["home"]["unit"]["bld"] is bld]
                            leader = rng.choice(living or able)
                            self.edge("Member", leader["id"], "LEADS_GRID", "Building", bld["id"])
                        if rng.random() < 0.9:
                            pid = self.seq("PS", 4)
                            roles = ["BUILDING_HEAD", "VOLUNTEER"] if rng.random() < 0.3 else ["BUILDING_HEAD"]
                            self.node("Person", pid, name=self.person_name(),
                                      gender=self.pick(["MALE", "FEMALE"], [0.45, 0.55]), roles=roles,
                                      phone=self.phone(), **self.scope(comm))
                            if "VOLUNTEER" in roles:
                                comm["volunteers"].append(pid)
                            self.edge("Person", pid, "HEADS_BUILDING", "Building", bld["id"])

    def grid_worker(self, comm: dict[str, Any], kind: str, grid_id: str) -> None:
        pid = self.seq("PS", 4)
        self.node("Person", pid, name=self.person_name(), gender=self.pick(["MALE", "FEMALE"], [0.4, 0.6]),
                  roles=["GRID_WORKER"], phone=self.phone(), **self.scope(comm))
        self.edge("Person", pid, "WORKS_GRID", kind, grid_id)

    def volunteers_and_deputies(self) -> None:
        rng = self.rng
        for comm in self.communities:
            for _ in range(rng.randint(24, 32)):
                pid = self.seq("PS", 4)
                self.node("Person", pid, name=self.person_name(), gender=self.pick(["MALE", "FEMALE"], [0.4, 0.6]),
                          roles=["VOLUNTEER"], phone=self.phone(), **self.scope(comm))
                comm["volunteers"].append(pid)
            comm["deputies"] = []
            if comm["name"] in STUDIO_COMMUNITIES:
                for role_note in range(2):
                    pid = self.seq("PS", 4)
                    roles = ["CONGRESS_DEPUTY", "VOLUNTEER"] if role_note else ["CONGRESS_DEPUTY"]
                    self.node("Person", pid, name=self.person_name(), gender=self.pick(["MALE", "FEMALE"], [0.5, 0.5]),
                              roles=roles, phone=self.phone(), **self.scope(comm))
                    comm["deputies"].append(pid)
                    if role_note:
                        comm["volunteers"].append(pid)

    # -- teams ------------------------------------------------------------------------------
    def teams(self) -> None:
        rng = self.rng
        xinbei = self.streets[0]
        plan = ("乌龙社区", "乌龙社区", "北山社区", "北山社区", "新街社区", "新街社区", "东苑社区", "南岭社区",
                "南岭社区", "康乐社区", "兴华社区", "兴华社区")
        sizes = [16] * 9 + [15] * 3
        assert sum(sizes) == FIGURES["assaultTeamMembersXinbei"] and len(plan) == FIGURES["assaultTeamsXinbei"]
        formed = dt.date(2020, 1, 26)
        pools: dict[str, list[dict[str, Any]]] = {}
        for c in dict.fromkeys(plan):
            pool = [m for m in self.comm_by_name[c]["members"]
                    if 22 <= age_at(m["props"]["birthDate"], formed) <= 62 and m["category"] != "MOBILE"]
            rng.shuffle(pool)
            pools[c] = pool
        for ti, (c, size) in enumerate(zip(plan, sizes), start=1):
            tid = f"T{xinbei['id']}A{ti:02d}"
            self.node("Team", tid, name=f"新北街道第{ti}党员突击队（{c}）", kind="ASSAULT",
                      formedDate=formed + dt.timedelta(days=(ti - 1) // 2 + rng.randint(0, 3)),
                      purpose="疫情防控：深入网格排查外返人员，卡点值守，为隔离人员家庭运送物资",
                      **self.scope(None, xinbei["id"]))
            self.edge("Team", tid, "ORGANISED_BY", "Street", xinbei["id"])
            for _ in range(size):
                m = pools[c].pop()
                self.edge("Member", m["id"], "IN_TEAM", "Team", tid)
        # the art troupe and some service teams (their members are not part of the 189)
        troupe = "T210905001Y01"
        self.troupe = troupe
        self.node("Team", troupe, name="红色驿站艺术团", kind="ART_TROUPE", formedDate=dt.date(2019, 5, 20),
                  purpose="群众文艺骨干自编自导自演，利用重大节日推出文化活动周，深入小区、文化广场宣讲表演",
                  **self.scope(None, xinbei["id"]))
        self.edge("Team", troupe, "ORGANISED_BY", "PartyOrg", self.street_committee[xinbei["id"]])
        pool = [m for c in xinbei["communities"] for m in c["members"] if 35 <= m["age"] <= 75 and not m.get("lost")]
        self.troupe_members = rng.sample(pool, 18)
        for m in self.troupe_members:
            self.edge("Member", m["id"], "IN_TEAM", "Team", troupe)
        for c, title in (("北山社区", "北山社区“红色头雁”党员服务队"), ("河畔社区", "河畔社区党员便民服务队"),
                         ("阳光社区", "阳光社区党员志愿服务队")):
            comm = self.comm_by_name[c]
            tid = f"T{comm['id']}S1"
            self.node("Team", tid, name=title, kind="SERVICE", formedDate=self.rand_date(dt.date(2021, 3, 1), dt.date(2021, 7, 1)),
                      purpose="便民服务、特殊群体关爱", **self.scope(comm))
            self.edge("Team", tid, "ORGANISED_BY", "PartyOrg", comm["cc"])
            for m in rng.sample([m for m in comm["members"] if m["age"] < 70 and not m.get("lost")], 10):
                self.edge("Member", m["id"], "IN_TEAM", "Team", tid)

    # -- care categories and pairings (结对帮扶) ----------------------------------------------
    def care_and_pairings(self) -> None:
        rng = self.rng
        comms = self.communities
        needy_per = [8 if i < 7 else 7 for i in range(13)]
        rng.shuffle(needy_per)
        student_per = [2 if i < 5 else 1 for i in range(13)]
        rng.shuffle(student_per)
        assert sum(needy_per) == 98 and sum(student_per) == FIGURES["studentsAided"]
        gap_comms = ("新街社区", "康乐社区", "西园社区")
        pairings: list[dict[str, Any]] = []  # {"hh", "kind", "status"}

        def tier(weights: tuple[float, float, float]) -> str:
            return self.pick(["HIGH", "KEY", "GENERAL"], list(weights))

        for comm, n_needy, n_student in zip(comms, needy_per, student_per):
            free = [h for h in comm["households"] if h["occ"] in ("RESIDENT", "RENTED")]
            rng.shuffle(free)

            def take(cats: list[str], tier_w: tuple[float, float, float], size: int | None = None) -> dict[str, Any]:
                h = free.pop()
                h["care"] = cats
                h["props"]["careCategories"] = cats
                h["props"]["riskTier"] = tier(tier_w)
                if size is not None:
                    h["props"]["size"] = size
                return h

            for i in range(n_needy):
                extra = []
                if rng.random() < 0.3:
                    extra.append("MINIMUM_LIVELIHOOD")
                if rng.random() < 0.12:
                    extra.append("DISABLED")
                h = take(["NEEDY_FAMILY", *extra], (0.15, 0.45, 0.40))
                if comm["name"] in gap_comms and i == 0:
                    self.gap("needy_household_without_helper", "Household", h["id"],
                             f"{comm['name']}困难家庭{h['id']}尚无结对帮扶党员",
                             f"needy household {h['id']} in {comm['name']} has no paired member")
                    continue
                pairings.append({"hh": h, "kind": "POVERTY", "status": "ACTIVE"})
                if "DISABLED" in extra and rng.random() < 0.5:
                    pairings.append({"hh": h, "kind": "DISABLED", "status": "ACTIVE"})
            for _ in range(n_student):
                h = take(["MINIMUM_LIVELIHOOD", "STUDENT_AID"], (0.0, 0.3, 0.7), size=rng.randint(2, 4))
                pairings.append({"hh": h, "kind": "STUDY", "status": "ACTIVE"})
            for _ in range(rng.randint(2, 5)):
                h = take(["ELDERLY_ALONE"], (0.3, 0.5, 0.2), size=1)
                if rng.random() < 0.6:
                    pairings.append({"hh": h, "kind": "ELDERLY", "status": "ACTIVE"})
                elif rng.random() < 0.5:
                    pairings.append({"hh": h, "kind": "ELDERLY", "status": "ENDED"})
            for _ in range(rng.randint(1, 3)):
                h = take(["DISABLED"], (0.1, 0.5, 0.4))
                if rng.random() < 0.5:
                    pairings.append({"hh": h, "kind": "DISABLED", "status": "ACTIVE"})
            for _ in range(rng.randint(1, 2)):
                h = take(["MINIMUM_LIVELIHOOD"], (0.0, 0.4, 0.6))
                if rng.random() < 0.4:
                    pairings.append({"hh": h, "kind": "POVERTY", "status": "ACTIVE"})
            if rng.random() < 0.3:
                h = take(["ORPHAN"], (0.3, 0.7, 0.0))
                pairings.append({"hh": h, "kind": "ORPHAN", "status": "ACTIVE"})
            if rng.random() < 0.7:
                h = take(["LEFT_BEHIND_CHILD"], (0.0, 0.6, 0.4))
                if rng.random() < 0.6:
                    pairings.append({"hh": h, "kind": "ORPHAN", "status": "ACTIVE"})
        # visit dates: all active pairings within their deadline except two planted ones
        deadline = {"HIGH": 7, "KEY": 31, "GENERAL": 92}
        margin = {"HIGH": 6, "KEY": 28, "GENERAL": 85}
        active = [p for p in pairings if p["status"] == "ACTIVE"]
        late_key = rng.choice([p for p in active if p["hh"]["props"]["riskTier"] == "KEY"
                               and "NEEDY_FAMILY" in p["hh"]["care"]])
        late_high = rng.choice([p for p in active if p["hh"]["props"]["riskTier"] == "HIGH"
                                and p["hh"]["comm"] is not late_key["hh"]["comm"]])
        late_key["late"], late_high["late"] = 45, 12
        for p in pairings:
            t = p["hh"]["props"]["riskTier"]
            if p["status"] == "ENDED":
                p["since"] = self.rand_date(dt.date(2018, 3, 1), dt.date(2020, 3, 1))
                p["last"] = self.rand_date(p["since"] + dt.timedelta(days=60), dt.date(2021, 6, 30))
            else:
                p["last"] = days_before(p.get("late") or rng.randint(0, margin[t]))
                p["since"] = self.rand_date(dt.date(2019, 3, 1), min(p["last"], dt.date(2022, 3, 1)))
            assert p["status"] != "ACTIVE" or ((AS_OF - p["last"]).days > deadline[t]) == bool(p.get("late"))
        # helpers: members under 70 of the same community, 5-20 pairings each, nearby first
        for comm in comms:
            plist = [p for p in pairings if p["hh"]["comm"] is comm]
            assert len(plist) >= 5, (comm["name"], len(plist))
            k = math.ceil(len(plist) / 10)
            cands = [m for m in comm["members"] if m["age"] < 70 and m["category"] != "MOBILE"
                     and not m.get("lost") and m["home"] is not None]
            helpers = rng.sample(cands, k)
            for i, p in enumerate(plist):
                p["member"] = helpers[i % k]
        for p in pairings:
            h, m = p["hh"], p["member"]
            pid = self.seq("PR", 4)
            p["id"] = pid
            self.node("Pairing", pid, kind=p["kind"], since=p["since"], lastVisitDate=p["last"], status=p["status"],
                      **self.scope(h["comm"]))
            self.edge("Pairing", pid, "BY_MEMBER", "Member", m["id"])
            self.edge("Pairing", pid, "FOR_HOUSEHOLD", "Household", h["id"])
            items = m["props"].get("serviceItems", [])
            if p["kind"] not in items:
                m["props"]["serviceItems"] = sorted([*items, p["kind"]], key=SERVICE_ORDER.index)
            if p.get("late"):
                t = h["props"]["riskTier"]
                self.gap("pairing_past_visit_deadline", "Pairing", pid,
                         f"{h['comm']['name']}{h['id']}（{e.RiskTier[t].zh}）最近走访于{p['last'].isoformat()}，已超期",
                         f"pairing for household {h['id']} ({t} risk) last visited {p['last'].isoformat()}, "
                         f"past its {deadline[t]}-day visit deadline")
        self.pairings = pairings

    # -- big committees, joint units, resources ---------------------------------------------
    def joint_units_and_resources(self) -> None:
        rng = self.rng
        units = list(JOINT_UNITS)
        rng.shuffle(units)
        per_comm = {"乌龙社区": 2, "北山社区": 2, "新街社区": 1, "东苑社区": 2, "南岭社区": 1, "康乐社区": 2,
                    "兴华社区": 2, "河畔社区": 4, "柳林社区": 3, "西园社区": 4, "阳光社区": 3, "福安社区": 4,
                    "育才社区": 4}
        assert sum(per_comm.values()) == len(units)
        self.joint_units: list[dict[str, Any]] = []
        address_no = rng.sample(range(1, 300), 40)
        # a property company that serves every big committee of 新北街道 (a street-level record)
        xinbei = self.streets[0]
        jid = "JU00"
        self.node("JointUnit", jid, name="示例物业服务有限公司", kind="ENTERPRISE", agreementDate=dt.date(2019, 7, 1),
                  address=f"清河门区示例路{address_no.pop()}号（虚构）", **self.scope(None, xinbei["id"]))
        ju = {"id": jid, "name": "示例物业服务有限公司", "kind": "ENTERPRISE", "comms": xinbei["communities"]}
        self.joint_units.append(ju)
        pos = 0
        for comm in self.communities:
            for name, kind in units[pos:pos + per_comm[comm["name"]]]:
                pos += 1
                jid = f"JU{pos:02d}"
                self.node("JointUnit", jid, name=name, kind=kind,
                          agreementDate=self.rand_date(dt.date(2019, 3, 1), dt.date(2021, 3, 31)),
                          address=f"清河门区示例{rng.choice('东西南北中')}路{address_no.pop()}号（虚构）", **self.scope(comm))
                self.joint_units.append({"id": jid, "name": name, "kind": kind, "comms": [comm]})
        no_part_timer = self.comm_by_name["柳林社区"]
        self.gap("big_committee_without_part_time_member", "PartyOrg", no_part_timer["bc"],
                 "柳林社区大党委尚未吸纳驻区单位党组织负责人担任兼职委员",
                 "the big Party committee of 柳林社区 has no part-time member from a resident unit")
        used: list[dict[str, Any]] = []
        for ju in self.joint_units:
            home = ju["comms"][0]
            for comm in ju["comms"]:
                self.edge("JointUnit", ju["id"], "JOINT_BUILDS_WITH", "PartyOrg", comm["bc"])
            cands = [m for m in home["members"] if m["category"] == "EMPLOYED" and 28 <= m["age"] <= 58 and not m.get("lost")
                     and m is not home["secretary"] and not m.get("unreported") and all(m is not u for u in used)]
            rep = rng.choice(cands)
            used.append(rep)
            ju["rep"] = rep
            self.edge("Member", rep["id"], "REPRESENTS", "JointUnit", ju["id"])
            for comm in ju["comms"]:
                if comm is not no_part_timer:
                    self.edge("Member", rep["id"], "PART_TIME_MEMBER_OF", "PartyOrg", comm["bc"])
            # resources (资源清单)
            ju["resources"] = []
            for cat in rng.sample(RESOURCE_BY_UNIT_KIND[ju["kind"]], rng.randint(1, 2)):
                ju["resources"].append(self.resource(f"{ju['name']}{RESOURCE_TITLES[cat]}", cat, home, unit=ju))
        # resources offered by members with a specialty
        skilled = [m for m in self.members if m["props"].get("specialties") and m["age"] < 75 and not m.get("lost")]
        self.member_resources = []
        for m in rng.sample(skilled, 16):
            spec = m["props"]["specialties"][0]
            rid = self.resource(f"党员{spec}志愿服务", "SKILL", m["comm"], member=m)
            self.member_resources.append((m, rid))

    def resource(self, title: str, category: str, comm: dict[str, Any], *, unit: dict[str, Any] | None = None,
                 member: dict[str, Any] | None = None) -> str:
        rng = self.rng
        rid = self.seq("RS", 3)
        capacity = rng.choice((5, 10, 12, 20, 30, 50))
        start = self.rand_date(dt.date(2021, 1, 1), dt.date(2022, 1, 1))
        items = RESOURCE_ITEMS.get(category)
        props = self.node("Resource", rid, title=title, category=category, capacity=capacity,
                          claimed=rng.randint(0, capacity), validFrom=start, validTo=add_years(start, 2),
                          **self.scope(comm))
        if items:
            props["serviceItems"] = rng.sample(items, min(len(items), rng.randint(1, 2)))
            props["serviceItems"].sort(key=SERVICE_ORDER.index)
        if unit:
            self.edge("Resource", rid, "OFFERED_BY", "JointUnit", unit["id"])
        if member:
            self.edge("Resource", rid, "OFFERED_BY", "Member", member["id"])
        grid_kind, grid_id = ("Community", comm["id"]) if rng.random() < 0.6 else \
            ("Complex", rng.choice(comm["complexes"])["id"])
        self.edge("Resource", rid, "BASED_IN", grid_kind, grid_id)
        return rid

    # -- projects (项目清单) and needs (需求清单) -------------------------------------------------
    def need(self, comm: dict[str, Any], title: str, category: str, status: str, opened: dt.date, *,
             household: dict[str, Any] | None = None, grid: tuple[str, str] | None = None,
             item: str | None = None, quantity: int | None = None) -> str:
        nid = self.seq("ND", 3)
        props = self.node("Need", nid, title=title, category=category, status=status, openedDate=opened,
                          urgency=self.pick(["LOW", "NORMAL", "HIGH", "URGENT"], [0.2, 0.5, 0.22, 0.08]),
                          **self.scope(comm))
        if item:
            props["serviceItem"] = item
        if quantity:
            props["quantity"] = quantity
        if household:
            self.edge("Need", nid, "RAISED_BY", "Household", household["id"])
            grid = ("Building", household["unit"]["bld"]["id"])
        assert grid is not None
        self.edge("Need", nid, "RAISED_IN", grid[0], grid[1])
        return nid

    def project(self, comm: dict[str, Any], grid: tuple[str, str], title: str, category: str, claimed: dt.date,
                *, claimer: tuple[str, str], status: str | None = None, **props: Any) -> dict[str, Any]:
        rng = self.rng
        pid = self.seq("PJ", 3)
        if status is None:
            if claimed.year == 2021:
                status = "DONE"
            else:
                status = self.pick(["CLAIMED", "IN_PROGRESS", "DONE"], [0.25, 0.45, 0.3])
        p = self.node("Project", pid, title=title, category=category, status=status, claimedDate=claimed,
                      **{k: v for k, v in props.items() if v is not None}, **self.scope(comm))
        if status == "DONE":
            done = min(claimed + dt.timedelta(days=rng.randint(30, 120)), days_before(3))
            p["completedDate"] = done
        self.edge("Project", pid, "CLAIMED_BY", claimer[0], claimer[1])
        self.edge("Project", pid, "LOCATED_IN", grid[0], grid[1])
        return {"id": pid, "status": status, "claimed": claimed, "comm": comm, "grid": grid, "category": category,
                "title": title, "props": p}

    def meets(self, proj: dict[str, Any], title: str, *, household: dict[str, Any] | None = None,
              item: str | None = None, quantity: int | None = None, category: str | None = None) -> None:
        status = "MET" if proj["status"] == "DONE" else "MATCHED"
        opened = proj["claimed"] - dt.timedelta(days=self.rng.randint(5, 40))
        nid = self.need(proj["comm"], title, category or proj["category"], status, opened, household=household,
                        grid=None if household else proj["grid"], item=item, quantity=quantity)
        self.edge("Project", proj["id"], "MEETS", "Need", nid)

    def projects_and_needs(self) -> None:
        rng = self.rng
        cb = self.comm_by_name
        # 1. the three Party-building projects claimed by community Party secretaries
        brand_projects = (
            ("乌龙社区", "闪闪红星", "“闪闪红星”党史教育项目", "TRAINING", "红色党史宣讲进小区", None),
            ("北山社区", "红色头雁", "“红色头雁”党员帮扶项目", "HARDSHIP", "困难群众便民服务和特殊群体关爱", "POVERTY"),
            ("新街社区", "绿色环保团", "“绿色环保团”小区环境改造行动项目", "ENVIRONMENT", "老旧小区环境整治", None),
        )
        for c, brand, title, cat, need_title, item in brand_projects:
            comm = cb[c]
            proj = self.project(comm, ("Community", comm["id"]), title, cat, dt.date(2021, 3, 18),
                                claimer=("PartyOrg", comm["cc"]), status="IN_PROGRESS", brand=brand,
                                plannedCapacity=rng.choice((200, 300, 500)))
            self.meets(proj, f"{c}居民：{need_title}", item=item)
            self.meets(proj, f"{c}{rng.choice(comm['complexes'])['name']}：{need_title}", item=item)
        # 2. joint-unit projects: the article's investments (40余万元) and the units' service projects
        units = [u for u in self.joint_units]
        planted = next(u for u in units if u["comms"][0]["name"] == "阳光社区")
        facility = [  # (output, quantity, unit, yuan, year, title)
            ("党史宣传长廊", 1, "处", 85_000, 2021, "党史宣传长廊维修扩建", "乌龙社区"),
            ("文化广场", 1, "处", 72_000, 2021, "文化广场维修扩建", "阳光社区"),
            ("健身器材", 12, "套", 30_000, 2021, "小区健身器材添置", "新街社区"),
            ("健身器材", 8, "套", 19_200, 2022, "小区健身器材添置（二期）", "河畔社区"),
            ("太阳能照明灯", 16, "盏", 41_600, 2021, "小区太阳能照明灯安装", "北山社区"),
            ("太阳能照明灯", 15, "盏", 39_000, 2022, "背街小巷太阳能照明灯安装", "西园社区"),
            ("太阳能照明灯", 12, "盏", 31_200, 2022, "小区太阳能照明灯安装（二期）", "福安社区"),
            ("便民公共设施", 12, "组", 18_000, 2021, "便民休闲座椅和晾衣架安装", "东苑社区"),
            ("便民公共设施", 10, "组", 15_000, 2022, "便民公共设施安装", "育才社区"),
            ("便民公共设施", 8, "组", 12_000, 2022, "便民信息栏和休闲座椅安装", "柳林社区"),
        ]
        assert sum(f[1] for f in facility if f[0] == "便民公共设施") == FIGURES["convenienceFacilitySets"]
        assert sum(f[1] for f in facility if f[0] == "太阳能照明灯") == FIGURES["solarLamps"]
        claimed_2022: set[str] = set()
        joint_projects: list[dict[str, Any]] = []
        for output, qty, unit_name, yuan, year, title, c in facility:
            comm = cb[c]
            if c == "阳光社区":
                ju = planted
            else:
                ju = rng.choice([u for u in units if comm in u["comms"] and u is not planted
                                 and not any(p["unit"] is u for p in joint_projects)]
                                or [u for u in units if comm in u["comms"] and u is not planted])
            claimed = self.rand_date(dt.date(year, 3, 1), dt.date(year, 9, 30) if year == 2021 else dt.date(2022, 5, 31))
            grid = ("Complex", rng.choice(comm["complexes"])["id"]) if output != "党史宣传长廊" else ("Community", comm["id"])
            proj = self.project(comm, grid, f"{comm['name']}{title}", "FACILITY", claimed, claimer=("JointUnit", ju["id"]),
                                investmentYuan=yuan, output=output, outputQuantity=qty, outputUnit=unit_name)
            proj["unit"] = ju
            joint_projects.append(proj)
            if year == 2022:
                claimed_2022.add(ju["id"])
            self.edge("Project", proj["id"], "USES", "Resource", ju["resources"][0])
            self.meets(proj, f"{comm['name']}居民希望{title.replace('安装', '').replace('添置', '')}")
        remaining = FIGURES["jointUnitInvestmentYuan"] - sum(f[3] for f in facility)
        service_units = [u for u in units if u is not planted and u["id"] not in claimed_2022]
        amounts = [rng.randrange(800, 4000, 100) for _ in service_units]
        # scale amounts (in hundreds of yuan) to the exact remaining sum
        hundreds = [a // 100 for a in amounts]
        self.adjust_sum(hundreds, remaining // 100, [(8, 60)] * len(hundreds))
        for u, h in zip(service_units, hundreds):
            comm = u["comms"][0] if len(u["comms"]) == 1 else rng.choice(u["comms"])
            title, cat, item = rng.choice(SERVICE_PROJECTS[u["kind"]])
            claimed = self.rand_date(dt.date(2022, 1, 10), dt.date(2022, 6, 15))
            proj = self.project(comm, ("Community", comm["id"]), f"{u['name']}{title}", cat, claimed,
                                claimer=("JointUnit", u["id"]), investmentYuan=h * 100,
                                plannedCapacity=rng.choice((20, 30, 50, 100)))
            proj["unit"] = u
            joint_projects.append(proj)
            for rid in u["resources"][:1]:
                self.edge("Project", proj["id"], "USES", "Resource", rid)
            if rng.random() < 0.8:
                hh = rng.choice([h for h in comm["households"] if h["care"]]) if item else None
                self.meets(proj, f"{title}需求", household=hh, item=item)
        self.gap("joint_unit_resources_no_project", "JointUnit", planted["id"],
                 f"{planted['name']}在资源清单中有资源，但2022年未认领项目（仅2021年认领文化广场项目）",
                 f"joint unit {planted['name']} offers resources but has claimed no project in 2022")
        # 3. small wishes (微心愿) claimed by members who offer a skill
        for m, rid in self.member_resources[:6]:
            comm = m["comm"]
            hh = rng.choice([h for h in comm["households"] if h["care"]])
            wish = rng.choice(("为独居老人购买助听器", "为孩子添置书包和文具", "更换老旧门锁", "修理家用电器",
                               "上门理发", "陪同就医"))
            proj = self.project(comm, ("Building", hh["unit"]["bld"]["id"]), f"微心愿：{wish}", "SMALL_WISH",
                                self.rand_date(dt.date(2022, 2, 1), dt.date(2022, 6, 10)), claimer=("Member", m["id"]),
                                plannedCapacity=1)
            self.edge("Project", proj["id"], "USES", "Resource", rid)
            self.meets(proj, wish, household=hh, item="CONVENIENCE", quantity=1)
        # 4. needs still open: recent ones, two overdue (planted), two closed
        open_specs = [
            ("GOODS", "冬季棉衣被褥", "POVERTY", True), ("SERVICE", "上门助浴服务", "ELDERLY", True),
            ("SMALL_WISH", "孩子想要一套课外读物", "STUDY", True), ("HARDSHIP", "医疗费用临时救助", "POVERTY", True),
            ("SERVICE", "家中电路检修", "CONVENIENCE", True), ("TRAINING", "老年人智能手机使用培训", None, False),
            ("TEAM_ACTIVITY", "组建广场舞队需要场地", None, False), ("FACILITY", "单元门禁损坏需更换", None, False),
            ("ENVIRONMENT", "楼道杂物清理", None, False), ("FACILITY", "增设电动车充电桩", None, False),
            ("SERVICE", "残疾人康复辅具申领协助", "DISABLED", True), ("GOODS", "助学期间学习用电脑", "STUDY", True),
        ]
        comms = self.communities
        for i, (cat, title, item, by_household) in enumerate(open_specs):
            comm = comms[i % len(comms)]
            if i in (3, 8):
                opened = days_before(75 if i == 3 else 118)
            else:
                opened = days_before(rng.randint(2, 50))
            hh = rng.choice([h for h in comm["households"] if h["care"]]) if by_household else None
            grid = None if hh else ("Complex", rng.choice(comm["complexes"])["id"])
            nid = self.need(comm, title, cat, "OPEN", opened, household=hh, grid=grid, item=item,
                            quantity=rng.randint(1, 3) if cat == "GOODS" else None)
            if i in (3, 8):
                self.gap("open_need_overdue", "Need", nid,
                         f"{comm['name']}需求“{title}”于{opened.isoformat()}提出，超过60天仍未认领",
                         f"need raised in {comm['name']} on {opened.isoformat()} still open after more than 60 days")
        for i, title in enumerate(("申请加装电梯（条件不具备）", "要求调换公租房（非社区职责）")):
            comm = comms[(i * 5 + 3) % len(comms)]
            self.need(comm, title, "FACILITY" if i == 0 else "HARDSHIP", "CLOSED", days_before(rng.randint(120, 300)),
                      grid=("Complex", rng.choice(comm["complexes"])["id"]))

    # -- service carriers (服务载体) ------------------------------------------------------------
    def service_carriers(self) -> None:
        rng = self.rng
        cb = self.comm_by_name
        specs: list[tuple[str, str, dict[str, Any], tuple[str, str], str, list[str]]] = []
        for comm in self.communities:
            specs.append((f"{comm['name']}红色驿站", "RED_STATION", comm, ("Community", comm["id"]), comm["cc"],
                          ["PARTY_AFFAIRS", "CONVENIENCE", "VOLUNTEER"]))
        for c in ("乌龙社区", "北山社区", "新街社区", "河畔社区", "柳林社区", "西园社区", "阳光社区", "福安社区"):
            comm = cb[c]
            specs.append((f"{c}多功能活动室", "ACTIVITY_ROOM", comm, ("Community", comm["id"]), comm["cc"],
                          ["PARTY_AFFAIRS", "PUBLIC_UTILITY"]))
        for c in STUDIO_COMMUNITIES:
            comm = cb[c]
            specs.append((f"{c}“两代表一委员”工作室", "STUDIO", comm, ("Community", comm["id"]), comm["cc"],
                          ["PUBLIC_UTILITY", "RELIEF"]))
        for c in ("东苑社区", "南岭社区", "康乐社区", "兴华社区", "育才社区"):
            comm = cb[c]
            cx = rng.choice(comm["complexes"])
            specs.append((f"{cx['name']}志愿服务站", "VOLUNTEER_STATION", comm, ("Complex", cx["id"]),
                          comm["branches"][0]["id"], ["VOLUNTEER", "RELIEF"]))
        specs.append(("新北街道党史宣传长廊", "CULTURE_SITE", cb["乌龙社区"], ("Community", cb["乌龙社区"]["id"]),
                      cb["乌龙社区"]["bc"], ["PARTY_AFFAIRS"]))
        specs.append(("阳光社区文化广场", "CULTURE_SITE", cb["阳光社区"], ("Community", cb["阳光社区"]["id"]),
                      cb["阳光社区"]["bc"], ["PUBLIC_UTILITY", "VOLUNTEER"]))
        specs.append(("北山社区“红色头雁”便民服务", "SERVICE_BRAND", cb["北山社区"], ("Community", cb["北山社区"]["id"]),
                      cb["北山社区"]["cc"], ["CONVENIENCE", "RELIEF"]))
        specs.append(("乌龙社区“闪闪红星”红色宣讲", "SERVICE_BRAND", cb["乌龙社区"], ("Community", cb["乌龙社区"]["id"]),
                      cb["乌龙社区"]["cc"], ["PARTY_AFFAIRS", "VOLUNTEER"]))
        assert len(specs) == FIGURES["serviceCarriers"], len(specs)
        for name, kind, comm, grid, org, cats in specs:
            sid = self.seq("SC", 2)
            self.node("ServiceCarrier", sid, name=name, kind=kind, serviceCategories=cats,
                      openedDate=self.rand_date(dt.date(2018, 6, 1), dt.date(2021, 6, 30)), **self.scope(comm))
            self.edge("ServiceCarrier", sid, "LOCATED_IN", grid[0], grid[1])
            self.edge("ServiceCarrier", sid, "RUN_BY", "PartyOrg", org)

    # -- activities -------------------------------------------------------------------------
    def activity(self, comm: dict[str, Any], title: str, kind: str, date: dt.date, *, org: str | None = None,
                 team: str | None = None, members: list[dict[str, Any]] = (), persons: list[str] = (),
                 **props: Any) -> str:
        aid = self.seq("AC", 3)
        self.node("Activity", aid, title=title, kind=kind, date=date, **props, **self.scope(comm))
        if org:
            self.edge("Activity", aid, "ORGANISED_BY", "PartyOrg", org)
        if team:
            self.edge("Activity", aid, "ORGANISED_BY", "Team", team)
        self.edge("Activity", aid, "HELD_IN", "Community", comm["id"])
        for m in members:
            self.edge("Member", m["id"], "TOOK_PART", "Activity", aid)
        for pid in persons:
            self.edge("Person", pid, "TOOK_PART", "Activity", aid)
        return aid

    def activities(self) -> None:
        rng = self.rng
        cb = self.comm_by_name

        def active(comm: dict[str, Any], max_age: int = 89) -> list[dict[str, Any]]:
            """Members who can take part (not out of contact)."""
            return [m for m in comm["members"] if m["age"] < max_age and not m.get("lost")]
        donations = (("乌龙社区", 712), ("北山社区", 655), ("新街社区", 598), ("河畔社区", 731), ("阳光社区", 572))
        assert sum(n for _, n in donations) == FIGURES["donatedItems"]
        for c, n in donations:
            comm = cb[c]
            self.activity(comm, f"{c}学雷锋·为大凉山贫困儿童募捐衣物", "DONATION",
                          dt.date(2021, 3, 5) + dt.timedelta(days=rng.randint(0, 10)), org=comm["cc"],
                          itemCount=n, beneficiary="大凉山贫困儿童")
        # 创城环境治理义务劳动: 746 person-times in all
        totals = [rng.randint(50, 65) for _ in self.communities]
        self.adjust_sum(totals, FIGURES["volunteerLabourPersonTimes"], [(48, 68)] * len(totals))
        for comm, total in zip(self.communities, totals):
            n_persons = min(len(comm["volunteers"]), rng.randint(18, 28))
            persons = rng.sample(comm["volunteers"], n_persons)
            members = rng.sample(active(comm, 75), total - n_persons)
            self.activity(comm, f"{comm['name']}创城环境治理义务劳动", "VOLUNTEER_LABOUR",
                          self.rand_date(dt.date(2021, 4, 10), dt.date(2021, 10, 20)), org=comm["cc"],
                          members=members, persons=persons)
        for c, title, d in (("乌龙社区", "“党日+”红色经典诵读", dt.date(2021, 4, 2)),
                            ("北山社区", "“党日+”党建知识竞赛", dt.date(2021, 5, 7)),
                            ("河畔社区", "“党日+”“红色记忆”演讲比赛", dt.date(2021, 6, 4)),
                            ("西园社区", "“党日+”重温入党誓词", dt.date(2021, 7, 1))):
            comm = cb[c]
            self.activity(comm, title, "PARTY_DAY", d, org=comm["cc"],
                          members=rng.sample(active(comm), rng.randint(15, 25)))
        wulong = cb["乌龙社区"]
        for title, d in (("“闪闪红星”红色党史宣讲进小区", dt.date(2021, 6, 12)),
                         ("“闪闪红星”红色党史宣讲：南湖红船的故事", dt.date(2022, 4, 16))):
            self.activity(wulong, title, "TALK", d, org=wulong["cc"],
                          members=rng.sample(active(wulong), 12), persons=rng.sample(wulong["volunteers"], 6))
        for c, title, d in (("新街社区", "《永远跟党走》群众性庆祝建党100周年文艺演出", dt.date(2021, 6, 30)),
                            ("乌龙社区", "《同心向党 梦想起航》国庆文艺演出", dt.date(2021, 9, 29))):
            self.activity(cb[c], title, "PERFORMANCE", d, team=self.troupe, members=self.troupe_members[:14])

    # -- the last word on 双报到 claims and quiet corners ---------------------------------------
    def settle_reporting_and_quiet_spots(self) -> None:
        """Reported members claim a 红色驿站 service item, except two kept idle on purpose; the
        building where no member lives or serves and the project that met no need are kept as
        gaps. A separate random stream, so every earlier choice stays as it was."""
        rng = random.Random("settle-reporting")
        out: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        inc: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for sk, si, rt, dk, di in self.edges:
            out.setdefault((sk, si, rt), []).append((dk, di))
            inc.setdefault((dk, di, rt), []).append((sk, si))
        since = AS_OF - dt.timedelta(days=365)

        def busy(m: dict[str, Any]) -> bool:
            mid, props = m["id"], m["props"]
            return bool(props.get("serviceItems") or inc.get(("Member", mid, "OFFERED_BY"))
                        or any(self.props[k]["status"] == "ACTIVE" for k in inc.get(("Member", mid, "BY_MEMBER"), []))
                        or any(self.props[k]["claimedDate"] >= since for k in inc.get(("Member", mid, "CLAIMED_BY"), []))
                        or any(self.props[k]["date"] >= since for k in out.get(("Member", mid, "TOOK_PART"), [])))

        idle = [m for m in self.members if out.get(("Member", m["id"], "REPORTED_TO"))
                and m["props"]["reportedDate"] <= since and not busy(m)]
        kept = [rng.choice([m for m in idle if m["comm"]["name"] == c]) for c in ("河畔社区", "柳林社区")]
        for m in idle:
            if any(m is k for k in kept):
                continue
            wanted = [SERVICE_ORDER[-1]] if m["props"].get("specialties") else [rng.choice(SERVICE_ORDER)]
            m["props"]["serviceItems"] = wanted
        for m in kept:
            self.gap("reported_member_inactive", "Member", m["id"],
                     f"党员{m['props']['name']}（{m['comm']['name']}）于{m['props']['reportedDate'].isoformat()}报到，"
                     "近一年未认领服务项目、项目或结对，也未参加活动",
                     f"member of {m['comm']['name']} reported on {m['props']['reportedDate'].isoformat()} and claimed "
                     "nothing in the past year")
        for comm in self.communities:
            for bld in comm["buildings"]:
                served = inc.get(("Building", bld["id"], "LEADS_GRID")) or any(
                    inc.get(("StairwellUnit", u["id"], "LEADS_GRID"))
                    or any(inc.get(("Household", h, "LIVES_IN")) for _, h in inc.get(("StairwellUnit", u["id"], "IN_UNIT"), []))
                    for u in bld["units"])
                if not served:
                    self.gap("building_without_member", "Building", bld["id"],
                             f"{comm['name']}{bld['name']}无党员居住，也无党员任楼栋或单元网格长",
                             f"no Party member lives in building {bld['name']} of {comm['name']} or leads its grid")
        for kind, pid, props in self.nodes:
            if (kind == "Project" and props.get("status") in ("CLAIMED", "IN_PROGRESS") and props.get("plannedCapacity")
                    and props["claimedDate"] < AS_OF - dt.timedelta(days=90) and not out.get(("Project", pid, "MEETS"))):
                self.gap("project_capacity_unused", "Project", pid,
                         f"项目“{props['title']}”于{props['claimedDate'].isoformat()}认领，计划服务{props['plannedCapacity']}，"
                         "90天以上未承接任何需求",
                         f"project '{props['title']}' claimed on {props['claimedDate'].isoformat()} has met no need in "
                         "more than 90 days")

    # -- output -----------------------------------------------------------------------------
    def output(self) -> dict[str, Any]:
        nodes = []
        for kind, id_, props in self.nodes:
            spec = KIND_BY_NAME[kind]
            order = [p.name for p in spec.all_props if p.name != "id"]
            unknown = [k for k in props if k not in order]
            if unknown:
                raise KeyError(f"{kind} has no properties {unknown}")
            out: dict[str, Any] = {}
            for name in order:
                if name not in props:
                    continue
                v = props[name]
                if v is None or v == []:
                    continue
                if isinstance(v, dt.date):
                    v = v.isoformat()
                out[name] = v
            nodes.append({"kind": kind, "id": id_, "props": out})
        meta = {"name": "清河门区党建网格示例数据", "version": 1, "asOfDate": AS_OF.isoformat(),
                "description": DESCRIPTION, "figures": FIGURES, "plantedGaps": self.gaps}
        return {"meta": meta, "nodes": nodes, "edges": self.edges}


SERVICE_ORDER = [s.value for s in e.ServiceItem]
STUDIO_COMMUNITIES = ("乌龙社区", "新街社区", "河畔社区", "西园社区", "育才社区")

JOINT_UNITS: tuple[tuple[str, str], ...] = (
    ("示例区市场监督管理所", "AGENCY"), ("示例区税务分局第二税务所", "AGENCY"), ("示例区司法所", "AGENCY"),
    ("示例区城市管理执法中队", "AGENCY"), ("示例区退役军人服务站", "AGENCY"), ("示例区人力资源和社会保障服务站", "AGENCY"),
    ("示例派出所第一警务室", "AGENCY"),
    ("示例第一小学", "PUBLIC_INSTITUTION"), ("示例第二小学", "PUBLIC_INSTITUTION"), ("示例实验中学", "PUBLIC_INSTITUTION"),
    ("示例幼儿园", "PUBLIC_INSTITUTION"), ("示例社区卫生服务中心", "PUBLIC_INSTITUTION"), ("示例区图书馆分馆", "PUBLIC_INSTITUTION"),
    ("示例区文化馆", "PUBLIC_INSTITUTION"), ("示例中心医院清河门分院", "PUBLIC_INSTITUTION"),
    ("示例职业技术学校", "PUBLIC_INSTITUTION"),
    ("示例超市连锁有限公司清河门店", "ENTERPRISE"), ("示例建筑工程有限公司", "ENTERPRISE"),
    ("示例农商银行清河门支行", "ENTERPRISE"), ("示例家政服务有限公司", "ENTERPRISE"), ("示例药房连锁门店", "ENTERPRISE"),
    ("示例餐饮有限公司", "ENTERPRISE"), ("示例电器维修服务部", "ENTERPRISE"), ("示例运输有限公司", "ENTERPRISE"),
    ("示例新能源科技有限公司", "ENTERPRISE"), ("示例装饰工程有限公司", "ENTERPRISE"),
    ("示例义工联合会", "SOCIAL_ORG"), ("示例社会工作服务中心", "SOCIAL_ORG"), ("示例老年大学协会", "SOCIAL_ORG"),
    ("示例书画协会", "SOCIAL_ORG"), ("示例律师事务所", "SOCIAL_ORG"), ("示例志愿者协会", "SOCIAL_ORG"),
    ("示例养老服务中心", "SOCIAL_ORG"), ("示例慈善会", "SOCIAL_ORG"),
)
RESOURCE_BY_UNIT_KIND = {
    "AGENCY": ["PUBLIC_SERVICE", "SKILL", "VOLUNTEERS"],
    "PUBLIC_INSTITUTION": ["VENUE", "SKILL", "PUBLIC_SERVICE", "VOLUNTEERS"],
    "ENTERPRISE": ["FUNDS", "EQUIPMENT", "VOLUNTEERS"],
    "SOCIAL_ORG": ["VOLUNTEERS", "SKILL", "PUBLIC_SERVICE"],
}
RESOURCE_TITLES = {
    "PUBLIC_SERVICE": "政策咨询和办事代办服务", "VENUE": "活动场地开放", "SKILL": "专业技能志愿服务",
    "FUNDS": "共建资金", "EQUIPMENT": "设备物资捐赠", "VOLUNTEERS": "志愿者队伍",
}
RESOURCE_ITEMS = {
    "PUBLIC_SERVICE": ["CONVENIENCE", "POVERTY"], "VENUE": ["STUDY", "CONVENIENCE"], "SKILL": ["ELDERLY", "DISABLED", "STUDY"],
    "FUNDS": ["POVERTY", "STUDY"], "EQUIPMENT": ["CONVENIENCE", "ELDERLY"], "VOLUNTEERS": ["ELDERLY", "CONVENIENCE"],
}
SERVICE_PROJECTS = {
    "AGENCY": [("政策宣讲进社区", "TRAINING", None), ("法律援助上门服务", "SERVICE", "POVERTY"),
               ("就业技能培训", "TRAINING", None)],
    "PUBLIC_INSTITUTION": [("假期学生托管", "SERVICE", "STUDY"), ("义诊进社区", "SERVICE", "ELDERLY"),
                           ("场地开放共享", "TEAM_ACTIVITY", None), ("读书分享会", "TRAINING", "STUDY")],
    "ENTERPRISE": [("困难家庭慰问", "HARDSHIP", "POVERTY"), ("楼道环境整治", "ENVIRONMENT", None),
                   ("便民维修服务日", "SERVICE", "CONVENIENCE"), ("爱心物资捐赠", "GOODS", "POVERTY")],
    "SOCIAL_ORG": [("独居老人关爱服务", "SERVICE", "ELDERLY"), ("残疾人康复陪伴", "SERVICE", "DISABLED"),
                   ("志愿服务队进小区", "TEAM_ACTIVITY", None), ("微心愿认领", "SMALL_WISH", "POVERTY")],
}

DESCRIPTION = (
    "【中文】本数据集是清河门区（辽宁省阜新市，行政区划代码210905）城市基层党建与社区网格治理的示例数据，基准日2022-06-30。"
    "真实部分：区名及代码，新北街道及其乌龙社区、北山社区、新街社区的名称，以及报道《清河门区：抓基层打基础 下真功重实效》"
    "给出的数字，数据精确再现：13个社区全部实现书记、主任“一肩挑”；新一届社区“两委”班子成员平均年龄38岁，比上届下降9岁左右"
    "（上届平均47岁）；35岁以下31人，占37.3%（故共83人）；大专以上学历70人，其中本科21人；5名社区干部取得助理社会工作者证书；"
    "社区办公场所均达到400平方米并按“六有”标准建设党群服务中心；社区、片区、小区、楼栋、单元五级网格，在楼栋单元建立网格党小组；"
    "新北街道189名党员组成12支党员突击队；服务载体35个，提供公共事业、救助、便民、党务、志愿五大类服务；党员、志愿者帮扶困难家庭95户、"
    "爱心助学低保户家庭大学生18人；社区“大党委”协调共建单位投资40余万元，维修扩建党史宣传长廊、文化广场，添置健身器材、40余盏太阳能照明灯、"
    "30组便民公共设施；乌龙社区认领“闪闪红星”、北山社区认领“红色头雁”、新街社区认领“绿色环保团”项目；为大凉山贫困儿童募捐衣物3000余件；"
    "参加创城环境治理义务劳动700余人次。报道中的约数在数据中取了一个具体值（投资426,800元、照明灯43盏、衣物3,268件、义务劳动746人次），"
    "这些具体值和上届人数（80人）是虚构的。其余一切均为虚构：河西街道以及上述三个社区以外的十个社区、全部人名（“姓+某+编号”）、地址、"
    "小区和楼栋、电话号码（1390000xxxx）、身份证号（210905+出生日期+900-999顺序码+校验码，并非真实号码）、共建单位（名称均以“示例”开头）、"
    "项目、需求、资源、队伍、活动，以及报道没有给出的所有数量和日期。数据中有意埋设了覆盖缺口（见plantedGaps）：2栋楼（含全部单元）未建网格党小组，"
    "1个片区无网格长，1个小区无专职网格员，3户困难家庭无结对党员，2条结对帮扶超过走访期限，3名在职党员未“双报到”，2名党员失联超过6个月，"
    "1个共建单位有资源但2022年未认领项目，1个社区大党委无兼职委员，2条需求超过60天未认领，1个7人以上党支部未设支部委员会，"
    "2个社区党委低于争创星级目标，2名报到满一年的党员一年来未认领任何服务，1栋楼无党员居住或服务，1个项目认领90天以上未承接需求。"
    " [English] Sample data for urban grassroots Party-building and community grid governance in Qinghemen District "
    "(清河门区, Fuxin, Liaoning; GB/T 2260 code 210905), as of 2022-06-30. Real: the district's name and code, the street "
    "新北街道 and its communities 乌龙社区, 北山社区 and 新街社区, and the figures of the newspaper report, which the data "
    "reproduce exactly: all 13 communities have one person as Party secretary and residents' committee director; the new "
    "two committees have an average age of 38, about 9 years below the previous term (47); 31 members under 35 make up "
    "37.3% (hence 83 people); 70 have an associate degree or higher, 21 of them a bachelor's degree; 5 community cadres "
    "are certified assistant social workers; every community office is at least 400 m2 with a Party-mass service centre; "
    "five grid levels (community, area, complex, building, stairwell unit) with grid Party groups in buildings and "
    "stairwells; 189 members of 新北街道 formed 12 assault teams; 35 service carriers offer the five service categories "
    "(public utilities, relief, convenience, Party affairs, volunteering); members and volunteers help 95 needy families "
    "and 18 university students from minimum-livelihood families; joint-building units invested more than 400,000 yuan "
    "(Party-history corridor and culture square repaired and extended, fitness equipment, more than 40 solar lamps, "
    "30 sets of convenience facilities); 乌龙社区 claimed 闪闪红星, 北山社区 红色头雁, 新街社区 绿色环保团; more than 3,000 "
    "items of clothing were donated for children in 大凉山; more than 700 person-times of volunteer labour. Where the report "
    "says 'more than', the data use one concrete value (426,800 yuan, 43 lamps, 3,268 items, 746 person-times); those "
    "values and the size of the previous term (80) are invented. Everything else is INVENTED: the street 河西街道 and the "
    "ten other communities, every person's name (surname + 某 + number), address, residential complex and building, phone "
    "number (1390000xxxx), ID number (210905 + birth date + sequence 900-999 + check digit; not real numbers), joint unit "
    "(names start with 示例, 'example'), project, need, resource, team, activity, and every count or date the report does "
    "not give. Coverage gaps are planted on purpose and listed in plantedGaps: 2 buildings (with all their units) without "
    "a grid Party group, 1 area without a grid leader, 1 complex without a grid worker, 3 needy households without a "
    "paired member, 2 pairings past their visit deadline, 3 employed members not reported to their residential community, "
    "2 members out of contact for more than 6 months, 1 joint unit with resources but no project claimed in 2022, "
    "1 big committee without part-time members, 2 needs open for more than 60 days, 1 branch of 7+ members without a "
    "branch committee, 2 community Party committees below their star-rating target, 2 members reported for a year "
    "who claimed nothing in it, 1 building where no member lives or serves, 1 project claimed more than 90 days ago "
    "that has met no need."
)


def build_sample() -> dict[str, Any]:
    """The sample data set as a dict: ``{"meta": ..., "nodes": [...], "edges": [...]}``."""
    return Builder().build()


def dumps(data: dict[str, Any]) -> str:
    """JSON text with one node or edge per line (stable diffs)."""
    def one(item: Any) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    lines = ['{"meta": ' + json.dumps(data["meta"], ensure_ascii=False, indent=2) + ",", '"nodes": [']
    lines.append(",\n".join(one(n) for n in data["nodes"]))
    lines.append('],\n"edges": [')
    lines.append(",\n".join(one(x) for x in data["edges"]))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(path: Path | None = None) -> None:
    """Write the sample to ``path`` (default ``loaders/sample/qinghemen.json``; or the first CLI argument)."""
    if path is None:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    data = build_sample()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data), encoding="utf-8")
    print(f"wrote {path} ({len(data['nodes'])} nodes, {len(data['edges'])} edges)")


if __name__ == "__main__":
    main()
