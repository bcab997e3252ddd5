"""The static catalogue behind the simulated source: airlines, fleets and the routes of the modelled airports.

Kept apart from the model (``model.py``) because it is data, not logic: edit a frequency here to recalibrate
an airport's volume. Frequencies are daily rotations on the busiest weekday (Friday); a rotation is one flight
from the modelled airport to the destination and one back. A route between two modelled airports is listed once,
under the airport that comes first in ``ROUTES``, so its flights count at both ends.

The network is modelled on the German airports' real traffic (schedules of 2023/24, rounded): Lufthansa hubs at
Frankfurt and Munich, Eurowings at Dusseldorf, Hamburg and Berlin, low-cost carriers at Berlin, the partners of
the three alliances flying into the hubs. Every ICAO code is checked against airportsdata by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flightpipe.reference.airlines import Airline
from flightpipe.reference.airlines import airline as reference_airline

#: The airports whose full traffic the model knows (Frankfurt, Munich, Berlin, Dusseldorf, Hamburg).
MODELLED_AIRPORTS: tuple[str, ...] = ("EDDF", "EDDM", "EDDB", "EDDL", "EDDH")


@dataclass(frozen=True, slots=True)
class AirlineInfo:
    """An airline as the model needs it: its identity (ICAO, IATA, name) from the reference table
    (``flightpipe.reference.airlines``), and how the model flies it.

    ``partners`` are the marketing carriers that may sell seats on this airline's flights (codeshares), with
    weights; an empty tuple means the airline carries no codeshares (low-cost and non-aligned carriers).
    ``registration`` is a pattern for its fleet's registrations: ``?`` a letter, ``#`` a digit.
    Flight numbers come from two ranges so that operating and marketing numbers never collide:
    ``number_base`` (short haul), ``long_number_base`` (long haul, or None to share the short range) and
    ``codeshare_base`` (numbers it sells on partners' flights).
    """

    identity: Airline
    leisure: bool = False
    #: A low-cost carrier: short turnarounds, delays that grow through the day, fewer cancellations (``variety``).
    low_cost: bool = False
    partners: tuple[tuple[str, int], ...] = ()
    registration: str = "D-A???"
    short_types: tuple[str, ...] = ("A320",)
    long_types: tuple[str, ...] = ("B789",)
    number_base: int = 100
    long_number_base: int | None = None
    codeshare_base: int = 6000
    iata: str = field(init=False)
    icao: str = field(init=False)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        if self.identity.iata is None:
            raise ValueError(f"airline {self.identity.icao}: the model needs its IATA code (flight numbers)")
        object.__setattr__(self, "iata", self.identity.iata)
        object.__setattr__(self, "icao", self.identity.icao)
        object.__setattr__(self, "name", self.identity.name)


# Codeshare partner pools, weighted by how often the partner sells seats on the operator's flights.
_STAR_ON_LH_GROUP: tuple[tuple[str, int], ...] = (
    ("UA", 6),
    ("AC", 4),
    ("NH", 3),
    ("SK", 3),
    ("SQ", 2),
    ("TP", 2),
    ("LO", 2),
    ("A3", 2),
    ("TK", 1),
    ("ET", 1),
    ("TG", 1),
    ("AI", 1),
    ("CA", 1),
    ("OU", 1),
    ("NZ", 1),
    ("OZ", 1),
)
_LH_GROUP_ON_GROUP: tuple[tuple[str, int], ...] = (("LH", 8), ("LX", 2), ("OS", 2), ("SN", 2), *_STAR_ON_LH_GROUP)
_STAR_ON_STAR: tuple[tuple[str, int], ...] = (
    ("LH", 8),
    ("LX", 2),
    ("OS", 2),
    ("UA", 2),
    ("AC", 1),
    ("SK", 1),
    ("TP", 1),
    ("LO", 1),
    ("A3", 1),
)
_ONEWORLD: tuple[tuple[str, int], ...] = (
    ("BA", 4),
    ("AA", 4),
    ("IB", 3),
    ("AY", 3),
    ("QR", 3),
    ("JL", 2),
    ("CX", 1),
    ("AS", 1),
)
_SKYTEAM: tuple[tuple[str, int], ...] = (("AF", 4), ("KL", 4), ("DL", 4), ("KE", 1), ("KQ", 1), ("AM", 1), ("VS", 1))

_LH_SHORT = ("A320", "A20N", "A321", "A21N", "A319", "CRJ9", "E190")
_LH_LONG = ("B748", "A359", "A388", "A346", "B744", "A333", "A343")

AIRLINES: dict[str, AirlineInfo] = {
    a.iata: a
    for a in (
        AirlineInfo(
            reference_airline("DLH"),
            partners=_STAR_ON_LH_GROUP,
            registration="D-AI??",
            short_types=_LH_SHORT,
            long_types=_LH_LONG,
            number_base=1000,
            long_number_base=400,
            codeshare_base=5000,
        ),
        AirlineInfo(
            reference_airline("EWG"),
            low_cost=True,
            registration="D-AE??",
            short_types=("A320", "A319", "A20N"),
            number_base=8000,
            codeshare_base=7000,
        ),
        AirlineInfo(
            reference_airline("OCN"),
            leisure=True,
            partners=(("LH", 1),),
            registration="D-AI??",
            short_types=("A320",),
            long_types=("A333",),
            number_base=100,
            long_number_base=2000,
        ),
        AirlineInfo(
            reference_airline("CFG"),
            leisure=True,
            registration="D-AN??",
            short_types=("A320", "A21N"),
            long_types=("A339", "B763"),
            number_base=1000,
            long_number_base=2000,
        ),
        AirlineInfo(
            reference_airline("DLA"),
            partners=_LH_GROUP_ON_GROUP,
            registration="I-AD??",
            short_types=("E195",),
            number_base=1700,
        ),
        AirlineInfo(
            reference_airline("UAL"),
            partners=_STAR_ON_STAR,
            registration="N###UA",
            long_types=("B763", "B772", "B789"),
            number_base=900,
            codeshare_base=8800,
        ),
        AirlineInfo(
            reference_airline("ACA"),
            partners=_STAR_ON_STAR,
            registration="C-F???",
            long_types=("B789", "B77W"),
            number_base=840,
            codeshare_base=9100,
        ),
        AirlineInfo(
            reference_airline("ANA"),
            partners=_STAR_ON_STAR,
            registration="JA###A",
            long_types=("B789",),
            number_base=203,
            codeshare_base=5800,
        ),
        AirlineInfo(
            reference_airline("SIA"),
            partners=_STAR_ON_STAR,
            registration="9V-S??",
            long_types=("A359", "A388"),
            number_base=325,
            codeshare_base=2300,
        ),
        AirlineInfo(
            reference_airline("THY"),
            partners=_STAR_ON_STAR,
            registration="TC-J??",
            short_types=("A321", "A21N", "B38M"),
            number_base=1520,
            codeshare_base=8200,
        ),
        AirlineInfo(
            reference_airline("SWR"),
            partners=_LH_GROUP_ON_GROUP,
            registration="HB-J??",
            short_types=("BCS3", "A320", "A20N"),
            number_base=1070,
            codeshare_base=3600,
        ),
        AirlineInfo(
            reference_airline("AUA"),
            partners=_LH_GROUP_ON_GROUP,
            registration="OE-L??",
            short_types=("A320", "E195", "DH8D"),
            number_base=110,
            codeshare_base=7200,
        ),
        AirlineInfo(
            reference_airline("BEL"),
            partners=_LH_GROUP_ON_GROUP,
            registration="OO-S??",
            short_types=("A320", "A319"),
            number_base=2581,
            codeshare_base=7300,
        ),
        AirlineInfo(
            reference_airline("TAP"),
            partners=_STAR_ON_STAR,
            registration="CS-T??",
            short_types=("A20N", "A21N", "A320"),
            number_base=570,
            codeshare_base=6700,
        ),
        AirlineInfo(
            reference_airline("LOT"),
            partners=_STAR_ON_STAR,
            registration="SP-L??",
            short_types=("E195", "E175", "B38M"),
            number_base=379,
            codeshare_base=4600,
        ),
        AirlineInfo(
            reference_airline("SAS"),
            partners=_STAR_ON_STAR,
            registration="SE-R??",
            short_types=("A20N", "CRJ9"),
            number_base=633,
            codeshare_base=3700,
        ),
        AirlineInfo(
            reference_airline("AEE"),
            partners=_STAR_ON_STAR,
            registration="SX-D??",
            short_types=("A20N", "A21N", "A320"),
            number_base=820,
            codeshare_base=7800,
        ),
        AirlineInfo(
            reference_airline("ETH"),
            partners=_STAR_ON_STAR,
            registration="ET-A??",
            long_types=("B788", "A359"),
            number_base=706,
            codeshare_base=1700,
        ),
        AirlineInfo(
            reference_airline("THA"),
            partners=_STAR_ON_STAR,
            registration="HS-T??",
            long_types=("B77W", "A359"),
            number_base=920,
            codeshare_base=7700,
        ),
        AirlineInfo(
            reference_airline("AIC"),
            partners=_STAR_ON_STAR,
            registration="VT-A??",
            long_types=("B788", "B77W"),
            number_base=120,
            codeshare_base=8700,
        ),
        AirlineInfo(
            reference_airline("CCA"),
            partners=_STAR_ON_STAR,
            registration="B-####",
            long_types=("A359", "B789"),
            number_base=931,
            codeshare_base=6100,
        ),
        AirlineInfo(
            reference_airline("CTN"),
            partners=_STAR_ON_STAR,
            registration="9A-C??",
            short_types=("A319", "DH8D"),
            number_base=410,
            codeshare_base=5400,
        ),
        AirlineInfo(
            reference_airline("MSR"),
            partners=_STAR_ON_STAR,
            registration="SU-G??",
            short_types=("B738", "A20N"),
            number_base=785,
            codeshare_base=9300,
        ),
        AirlineInfo(
            reference_airline("UAE"),
            registration="A6-E??",
            short_types=("B77W",),
            long_types=("A388", "B77W"),
            number_base=45,
        ),
        AirlineInfo(
            reference_airline("QTR"),
            partners=_ONEWORLD,
            registration="A7-A??",
            short_types=("B788", "A359"),
            long_types=("B788", "A359", "B77W"),
            number_base=67,
            codeshare_base=5900,
        ),
        AirlineInfo(
            reference_airline("ETD"),
            registration="A6-B??",
            short_types=("B789",),
            long_types=("B789",),
            number_base=3,
        ),
        AirlineInfo(
            reference_airline("BAW"),
            partners=_ONEWORLD,
            registration="G-EU??",
            short_types=("A320", "A319", "A20N"),
            number_base=902,
            codeshare_base=6200,
        ),
        AirlineInfo(
            reference_airline("AFR"),
            partners=_SKYTEAM,
            registration="F-G???",
            short_types=("A320", "A319", "BCS3"),
            number_base=1018,
            codeshare_base=4000,
        ),
        AirlineInfo(
            reference_airline("KLM"),
            partners=_SKYTEAM,
            registration="PH-B??",
            short_types=("B738", "E190", "E195"),
            number_base=1761,
            codeshare_base=2400,
        ),
        AirlineInfo(
            reference_airline("FIN"),
            partners=_ONEWORLD,
            registration="OH-L??",
            short_types=("A320", "A321", "A319"),
            number_base=1411,
            codeshare_base=5600,
        ),
        AirlineInfo(
            reference_airline("IBE"),
            partners=_ONEWORLD,
            registration="EC-M??",
            short_types=("A320", "A20N", "A21N"),
            number_base=3512,
            codeshare_base=7400,
        ),
        AirlineInfo(
            reference_airline("DAL"),
            partners=_SKYTEAM,
            registration="N###DN",
            long_types=("A333", "A339", "B764"),
            number_base=14,
            codeshare_base=8500,
        ),
        AirlineInfo(
            reference_airline("AAL"),
            partners=_ONEWORLD,
            registration="N###AN",
            long_types=("B788", "B772"),
            number_base=70,
            codeshare_base=6400,
        ),
        AirlineInfo(
            reference_airline("CPA"),
            partners=_ONEWORLD,
            registration="B-L??",
            long_types=("A359",),
            number_base=289,
            codeshare_base=5100,
        ),
        AirlineInfo(
            reference_airline("KAL"),
            partners=_SKYTEAM,
            registration="HL####",
            long_types=("B77W", "B789"),
            number_base=905,
            codeshare_base=5300,
        ),
        AirlineInfo(
            reference_airline("RYR"),
            low_cost=True,
            leisure=True,
            registration="EI-D??",
            short_types=("B738", "B38M"),
            number_base=1100,
        ),
        AirlineInfo(
            reference_airline("EZY"),
            low_cost=True,
            leisure=True,
            registration="OE-I??",
            short_types=("A320", "A20N", "A319", "A21N"),
            number_base=4600,
        ),
        AirlineInfo(
            reference_airline("WZZ"),
            low_cost=True,
            leisure=True,
            registration="HA-L??",
            short_types=("A321", "A21N"),
            number_base=2300,
        ),
        AirlineInfo(
            reference_airline("VLG"),
            low_cost=True,
            leisure=True,
            registration="EC-M??",
            short_types=("A320", "A20N"),
            number_base=1880,
        ),
        AirlineInfo(
            reference_airline("PGT"),
            low_cost=True,
            leisure=True,
            registration="TC-N??",
            short_types=("A20N", "A21N", "B738"),
            number_base=990,
        ),
        AirlineInfo(
            reference_airline("SXS"),
            leisure=True,
            registration="TC-S??",
            short_types=("B738", "B38M"),
            number_base=130,
        ),
        AirlineInfo(reference_airline("EIN"), registration="EI-D??", short_types=("A320", "A20N"), number_base=650),
        AirlineInfo(reference_airline("ELY"), registration="4X-E??", short_types=("B738", "B739"), number_base=351),
        AirlineInfo(reference_airline("BTI"), registration="YL-C??", short_types=("BCS3",), number_base=221),
        AirlineInfo(reference_airline("ASL"), registration="YU-A??", short_types=("A319", "A320"), number_base=330),
        AirlineInfo(reference_airline("ROT"), registration="YR-A??", short_types=("B737", "A318"), number_base=301),
        AirlineInfo(reference_airline("ITY"), registration="EI-I??", short_types=("A20N", "A320"), number_base=406),
        AirlineInfo(
            reference_airline("TUI"),
            leisure=True,
            registration="D-AT??",
            short_types=("B738", "B38M"),
            number_base=2100,
        ),
        AirlineInfo(
            reference_airline("CAI"),
            leisure=True,
            registration="TC-C??",
            short_types=("B738", "B38M"),
            number_base=6400,
        ),
        AirlineInfo(reference_airline("RAM"), registration="CN-R??", short_types=("B738", "B38M"), number_base=810),
        AirlineInfo(reference_airline("TAR"), registration="TS-I??", short_types=("A320",), number_base=744),
        AirlineInfo(
            reference_airline("OMA"),
            registration="A4O-S?",
            short_types=("B788",),
            long_types=("B788",),
            number_base=123,
        ),
        AirlineInfo(
            reference_airline("GFA"), registration="A9C-F?", short_types=("B789",), long_types=("B789",), number_base=17
        ),
        AirlineInfo(reference_airline("MEA"), registration="T7-M??", short_types=("A21N",), number_base=217),
        AirlineInfo(
            reference_airline("HVN"),
            partners=_SKYTEAM,
            registration="VN-A###",
            long_types=("B789", "A359"),
            number_base=36,
            codeshare_base=3500,
        ),
        AirlineInfo(
            reference_airline("CAL"),
            partners=_SKYTEAM,
            registration="B-18###",
            long_types=("A359",),
            number_base=61,
            codeshare_base=9400,
        ),
        AirlineInfo(
            reference_airline("CES"),
            partners=_SKYTEAM,
            registration="B-####",
            long_types=("A359", "B77W"),
            number_base=219,
            codeshare_base=8000,
        ),
        AirlineInfo(
            reference_airline("MAS"),
            partners=_ONEWORLD,
            registration="9M-M??",
            long_types=("A359",),
            number_base=4,
            codeshare_base=9000,
        ),
        AirlineInfo(
            reference_airline("SVA"),
            partners=_SKYTEAM,
            registration="HZ-A??",
            short_types=("B789",),
            long_types=("B789",),
            number_base=171,
            codeshare_base=6600,
        ),
        AirlineInfo(reference_airline("CYP"), registration="5B-D??", short_types=("A20N",), number_base=470),
        AirlineInfo(reference_airline("LZB"), registration="LZ-F??", short_types=("A320", "E190"), number_base=431),
        # Marketing-only carriers: they sell seats on partners' flights but operate no flight in the model.
        AirlineInfo(reference_airline("ANZ"), codeshare_base=4100),
        AirlineInfo(reference_airline("AAR"), codeshare_base=6800),
        AirlineInfo(reference_airline("JAL"), codeshare_base=6000),
        AirlineInfo(reference_airline("ASA"), codeshare_base=6700),
        AirlineInfo(reference_airline("KQA"), codeshare_base=3900),
        AirlineInfo(reference_airline("AMX"), codeshare_base=6300),
        AirlineInfo(reference_airline("VIR"), codeshare_base=6900),
    )
}

#: ICAO aircraft type designator -> IATA type code (the ``aircraft.iata`` field).
AIRCRAFT_IATA: dict[str, str] = {
    "A318": "318",
    "A319": "319",
    "A320": "320",
    "A321": "321",
    "A20N": "32N",
    "A21N": "32Q",
    "A333": "333",
    "A339": "339",
    "A343": "343",
    "A346": "346",
    "A359": "359",
    "A388": "388",
    "B737": "737",
    "B738": "738",
    "B739": "739",
    "B38M": "7M8",
    "B744": "744",
    "B748": "74H",
    "B763": "763",
    "B764": "764",
    "B772": "772",
    "B77W": "77W",
    "B788": "788",
    "B789": "789",
    "BCS3": "223",
    "CRJ9": "CR9",
    "DH8D": "DH4",
    "E175": "E75",
    "E190": "E90",
    "E195": "E95",
}

# Route lists: (airline, daily rotations on the busiest weekday, destinations as space separated ICAO codes).
_Routes = tuple[tuple[str, int, str], ...]

_EDDF: _Routes = (
    # Lufthansa: domestic feeder (to the other modelled airports and beyond), Europe, long haul.
    ("LH", 10, "EDDM"),
    ("LH", 9, "EDDB EDDH"),
    ("LH", 4, "EDDL"),
    ("LH", 3, "EDDP EDDC EDDW EDDN"),
    ("LH", 8, "EGLL LFPG"),
    ("LH", 7, "LSZH LOWW EHAM"),
    ("LH", 6, "EBBR LSGG EKCH ESSA ENGM EPWA LKPR LHBP LEMD LEBL LIRF EIDW"),
    ("LH", 4, "EGCC EGLC LFLL LFMN ELLX EFHK EPKK LROP LGAV LTFM LPPT LIMC LIML LIPZ LIPE LLBG ESGG"),
    (
        "LH",
        3,
        "EGBB EGPH LFML LFBO LFSB LOWG ENBR EPWR EPGD EPPO LBSF LYBE LDZA LJLJ LGTS LEPA LPPR LIRN LIRQ LIMF EVRA EYVI",
    ),
    (
        "LH",
        2,
        "LFBD LOWL LOWS EETN LEMG LEVC LICC UGTB UDYZ UBBB HECA OJAI OLBA LMML LCLK LATI LWSK LUKK"
        " LFRS LEBB ENZV EKBI EGNT LOWK EPKT LRCL LRSB LIRP LIBD LTAI LTBJ LGIR LGKR LICJ LIEO LPFR",
    ),
    ("LH", 1, "EPRZ LBWN LQSA LYPG DAAG DTTA GMMN OOMS LTAC BIKF"),
    ("LH", 2, "KJFK KORD"),
    (
        "LH",
        1,
        "KEWR KIAD KBOS KATL KMIA KIAH KDFW KDEN KLAX KSFO KSEA CYYZ CYUL CYVR MMMX SBGR SAEZ SKBO"
        " RJTT RJBB RKSI ZBAA ZSPD VHHH WSSS VTBS VIDP VABB VOBL VOMM VOHS OMDB OERK OEJN OBBI HAAB"
        " HKJK FAOR FACT DNMM DNAA KPHL KDTW KCLT KLAS KAUS KSAN CYYC MPTO SCEL SBGL RPLL WIII FNLU"
        " DGAA HTDA OIIE",
    ),
    ("EN", 2, "LIPX"),
    ("DE", 4, "LEPA"),
    ("DE", 3, "LTAI HEGN"),
    ("DE", 2, "LGIR GCLP GCTS GCFV LPFR LEAL LEMG"),
    (
        "DE",
        1,
        "LGRP LGKO LGKR GCRR LPMA HESH HEMA DTTJ LEIB LIEO LDSP LDDU LGSA LGZA LTBS LTFE LCPH LCLK"
        " LMML LICJ LIEE LIBD LBBG LGMK LGSR KJFK KSEA MDPC MMUN VRMM FYWH",
    ),
    ("4Y", 2, "LEPA"),
    ("4Y", 1, "HEGN GCLP GCFV HEMA LGIR LGKO LTAI LPFR FYWH KMCO KLAS MMUN MDPC FIMP"),
    ("UA", 2, "KEWR KIAD"),
    ("UA", 1, "KORD KSFO KDEN KIAH KLAX"),
    ("AC", 1, "CYYZ CYUL CYVR CYYC"),
    ("DL", 1, "KATL KJFK KDTW KMSP"),
    ("AA", 1, "KDFW KCLT KPHL"),
    ("NH", 1, "RJTT"),
    ("SQ", 2, "WSSS"),
    ("TK", 6, "LTFM"),
    ("PC", 3, "LTFJ"),
    ("LX", 4, "LSZH"),
    ("OS", 4, "LOWW"),
    ("SN", 3, "EBBR"),
    ("TP", 4, "LPPT"),
    ("TP", 1, "LPPR"),
    ("LO", 3, "EPWA"),
    ("SK", 2, "EKCH"),
    ("SK", 1, "ENGM ESSA"),
    ("A3", 3, "LGAV"),
    ("A3", 1, "LGTS"),
    ("EK", 3, "OMDB"),
    ("QR", 3, "OTHH"),
    ("EY", 2, "OMAA"),
    ("BA", 6, "EGLL"),
    ("AF", 5, "LFPG"),
    ("KL", 5, "EHAM"),
    ("AY", 3, "EFHK"),
    ("IB", 2, "LEMD"),
    ("ET", 1, "HAAB"),
    ("CX", 1, "VHHH"),
    ("KE", 1, "RKSI"),
    ("TG", 1, "VTBS"),
    ("AI", 1, "VIDP VABB"),
    ("CA", 1, "ZBAA"),
    ("EI", 2, "EIDW"),
    ("LY", 2, "LLBG"),
    ("XQ", 4, "LTAI"),
    ("XQ", 1, "LTBJ LTAC LTFE LTBS"),
    ("MS", 1, "HECA"),
    ("AZ", 3, "LIRF"),
    ("JU", 1, "LYBE"),
    ("OU", 2, "LDZA"),
    ("RO", 1, "LROP"),
    ("BT", 2, "EVRA"),
    ("AT", 1, "GMMN"),
    ("TU", 1, "DTTA"),
    ("WY", 1, "OOMS"),
    ("GF", 1, "OBBI"),
    ("ME", 1, "OLBA"),
    ("VN", 1, "VVNB"),
    ("CI", 1, "RCTP"),
    ("MU", 1, "ZSPD"),
    ("MH", 1, "WMKK"),
    ("SV", 1, "OEJN"),
    ("CY", 1, "LCLK"),
    ("FB", 1, "LBSF"),
    ("X3", 1, "LEPA HEGN LTAI"),
)

_EDDM: _Routes = (
    ("LH", 9, "EDDB"),
    ("LH", 8, "EDDH EDDL"),
    ("LH", 4, "EDDW EDDV"),
    ("LH", 3, "EDDG EDDK"),
    ("LH", 7, "EGLL LFPG"),
    ("LH", 6, "LSZH EHAM EBBR LOWW EKCH LEMD LEBL LIRF"),
    ("LH", 4, "ESSA ENGM EFHK EPWA LKPR LHBP LGAV LTFM LPPT LIMC LSGG EIDW EGCC LFLL LFMN"),
    (
        "LH",
        3,
        "EGPH LFML LFBO ELLX EPKK EPWR LROP LBSF LYBE LDZA LJLJ LGTS LEPA LPPR LIRN LIPZ EVRA EYVI"
        " LLBG ESGG ENBR LCLK LMML",
    ),
    (
        "LH",
        2,
        "LFBD LFSB EETN LEMG LEVC LICC LIEE UGTB OLBA HECA OJAI LATI LWSK LUKK LQSA LRCL LRTR"
        " EGLC LFRS LEBB EGBB EKBI LOWG EPGD LRSB LBWN LTAI LICJ LIRP LIBD LGIR LPFR LGKR",
    ),
    (
        "LH",
        1,
        "KJFK KEWR KORD KBOS KLAX KSFO KDEN KIAD KCLT KMIA KIAH KSEA KDTW CYYZ CYVR RJTT RJBB RKSI"
        " ZSPD ZBAA VHHH WSSS VTBS VIDP VOBL VABB OMDB OERK HKJK FAOR BIKF LIEO LGRP DTTA GMMN LYPG"
        " LEIB LEAL LGSA LCPH",
    ),
    ("EN", 3, "LIPX LIRQ"),
    ("EN", 2, "LIPE LIPZ LIMF LIRN LIBD LIMJ"),
    ("EW", 1, "LEPA GCLP HEGN"),
    ("4Y", 1, "LEPA LGIR HEGN LTAI KMCO"),
    ("DE", 1, "LEPA HEGN LGKO LGIR LTAI GCLP GCTS"),
    ("UA", 1, "KEWR KIAH KSFO KIAD KORD KDEN"),
    ("AC", 1, "CYYZ CYUL CYVR"),
    ("CX", 1, "VHHH"),
    ("TG", 1, "VTBS"),
    ("DL", 1, "KATL KJFK"),
    ("AA", 1, "KDFW KPHL"),
    ("NH", 1, "RJTT"),
    ("SQ", 1, "WSSS"),
    ("TK", 5, "LTFM"),
    ("PC", 3, "LTFJ"),
    ("OS", 4, "LOWW"),
    ("LX", 3, "LSZH"),
    ("TP", 2, "LPPT"),
    ("LO", 2, "EPWA"),
    ("SK", 2, "EKCH"),
    ("SK", 1, "ESSA ENGM"),
    ("A3", 2, "LGAV"),
    ("A3", 1, "LGTS"),
    ("EK", 3, "OMDB"),
    ("QR", 3, "OTHH"),
    ("EY", 1, "OMAA"),
    ("BA", 4, "EGLL"),
    ("AF", 4, "LFPG"),
    ("KL", 4, "EHAM"),
    ("AY", 2, "EFHK"),
    ("IB", 2, "LEMD"),
    ("ET", 1, "HAAB"),
    ("EI", 2, "EIDW"),
    ("XQ", 3, "LTAI"),
    ("XQ", 1, "LTBJ LTAC"),
    ("VY", 2, "LEBL"),
    ("AZ", 3, "LIRF"),
    ("LY", 2, "LLBG"),
    ("JU", 1, "LYBE"),
    ("BT", 1, "EVRA"),
    ("MS", 1, "HECA"),
    ("OU", 2, "LDZA"),
    ("RO", 1, "LROP"),
    ("FB", 1, "LBSF"),
    ("CY", 1, "LCLK"),
    ("X3", 1, "LEPA HEGN"),
    ("U2", 1, "EGKK LFSB"),
    ("W6", 1, "LHBP LROP LBSF"),
)

_EDDL: _Routes = (
    ("EW", 6, "EDDB"),
    ("EW", 3, "EDDS"),
    ("EW", 8, "LEPA"),
    ("EW", 4, "EGLL LOWW LSZH"),
    ("EW", 3, "EGCC LEBL LIRF LGAV LPPT LSGG LEMD LPFR"),
    (
        "EW",
        2,
        "EGBB EGPH LEIB LEMG LEAL LEVC LIPZ LIRN LICC LGIR LGTS LKPR LHBP EPKK GCLP GCTS HEGN LTAI"
        " LFPG LFMN EKCH ESSA LDSP LGRP LGKO LTBJ",
    ),
    (
        "EW",
        1,
        "LIEO LIEE LIBD LGKR LDDU GCFV GCRR EGPF LMML LCLK LGSA LGZA LTBS LTFE LEMH LPMA LICJ LBBG LBWN HEMA BIKF ENGM",
    ),
    ("BA", 4, "EGLL"),
    ("AF", 3, "LFPG"),
    ("KL", 4, "EHAM"),
    ("LX", 4, "LSZH"),
    ("OS", 3, "LOWW"),
    ("IB", 1, "LEMD"),
    ("TP", 2, "LPPT"),
    ("AY", 2, "EFHK"),
    ("SK", 2, "EKCH"),
    ("LO", 2, "EPWA"),
    ("TK", 5, "LTFM"),
    ("PC", 5, "LTFJ"),
    ("XQ", 6, "LTAI"),
    ("XQ", 2, "LTBJ"),
    ("XQ", 1, "LTAC LTAF LTFE LTBS LTCG LTAU LTAJ LTCC"),
    ("DE", 2, "LEPA"),
    ("DE", 1, "LGIR HEGN GCLP GCTS LPFR LTAI LGKO LGRP GCFV GCRR LGSA LCLK"),
    ("4Y", 1, "LEPA HEGN"),
    ("X3", 2, "LEPA"),
    ("X3", 1, "HEGN LTAI GCLP GCTS GCFV LGIR LGKO LPFR HEMA LGRP LDSP LTBJ"),
    ("XC", 2, "LTAI"),
    ("XC", 1, "LTBJ LTFE HEGN"),
    ("W6", 1, "LHBP LROP LBSF LRCL EPKT LYBE LWSK"),
    ("VY", 3, "LEBL"),
    ("U2", 1, "EGKK LSGG EGGW"),
    ("EK", 2, "OMDB"),
    ("QR", 2, "OTHH"),
    ("EY", 1, "OMAA"),
    ("EI", 3, "EIDW"),
    ("A3", 2, "LGAV"),
    ("SN", 2, "EBBR"),
    ("LY", 2, "LLBG"),
    ("JU", 1, "LYBE"),
    ("MS", 1, "HECA"),
    ("BT", 1, "EVRA"),
    ("AZ", 2, "LIRF"),
    ("OU", 1, "LDZA"),
    ("AT", 1, "GMMN"),
    ("DL", 1, "KATL"),
    ("UA", 1, "KEWR"),
    ("AC", 1, "CYYZ"),
)

_EDDB: _Routes = (
    ("EW", 5, "EDDK EDDS"),
    ("EW", 3, "LEPA LSZH LOWW"),
    ("EW", 2, "EGLL LEMD LPPT LGAV LIRF LEBL"),
    ("EW", 1, "LGIR GCLP HEGN LTAI"),
    ("FR", 4, "EGSS"),
    ("FR", 3, "EIDW LEPA"),
    ("FR", 2, "LIME LIRA LEMD LEMG LEAL"),
    (
        "FR",
        1,
        "LEVC LEZL LPPR LPFR LIRN LIRP LIPE LIPH LICJ LICC LMML LGAV LGTS EPKK EVRA EYVI LDZA LDDU"
        " LCLK LIEE LCPH LBSF LBBG LGSA LGKR EGPF EGCC ESSA EKBI LEGE LERS LEMH LPMA",
    ),
    ("U2", 4, "EGKK"),
    ("U2", 3, "EGGW LSGG LFSB LFPG EHAM LEBL LEPA"),
    ("U2", 2, "EGCC EKCH LIRF LIMC LLBG EGGD EGPH LFPO LFMN LFLL ESSA ENGM EFHK LEMD LEMG LPPT LIPZ"),
    (
        "U2",
        1,
        "LIRN LGAV LGIR LHBP EPKK LDSP LDDU LKPR LIEO LICJ LIBD LEIB LEAL LPFR GCLP GCTS LGTS LGSA"
        " LGKR LGRP LTAI HEGN BIKF LMML LCLK EGNT EGAA LFML LFBD LFRS",
    ),
    ("W6", 1, "LHBP LROP LBSF EPGD LATI LWSK LRCL LRIA LUKK LYBE EPKT LRSB LBWN LQSA UGKO"),
    ("VY", 2, "LEBL"),
    ("TK", 4, "LTFM"),
    ("PC", 3, "LTFJ"),
    ("XQ", 3, "LTAI"),
    ("XQ", 1, "LTBJ LTAC LTFE"),
    ("LO", 2, "EPWA"),
    ("SK", 3, "EKCH"),
    ("SK", 1, "ESSA ENGM"),
    ("AY", 2, "EFHK"),
    ("KL", 4, "EHAM"),
    ("AF", 3, "LFPG"),
    ("BA", 4, "EGLL"),
    ("LX", 4, "LSZH"),
    ("OS", 4, "LOWW"),
    ("SN", 2, "EBBR"),
    ("TP", 2, "LPPT"),
    ("A3", 1, "LGAV"),
    ("QR", 1, "OTHH"),
    ("UA", 1, "KEWR"),
    ("EI", 2, "EIDW"),
    ("LY", 2, "LLBG"),
    ("BT", 3, "EVRA"),
    ("IB", 1, "LEMD"),
    ("AZ", 2, "LIRF"),
    ("EK", 1, "OMDB"),
    ("DL", 1, "KJFK"),
    ("DE", 1, "LEPA HEGN LGIR GCLP"),
    ("JU", 1, "LYBE"),
    ("OU", 1, "LDZA"),
    ("X3", 1, "LEPA HEGN"),
    ("EY", 1, "OMAA"),
    ("SQ", 1, "WSSS"),
    ("FB", 1, "LBSF"),
    ("RO", 1, "LROP"),
)

_EDDH: _Routes = (
    ("EW", 5, "EDDS"),
    ("EW", 4, "EDDK LEPA"),
    ("EW", 3, "LOWW LSZH"),
    ("EW", 2, "EGLL LEBL LEMD LIRF LGAV LPPT LGIR LDSP GCLP HEGN LTAI EKCH LKPR"),
    (
        "EW",
        1,
        "GCTS GCFV LEMG LEAL LPFR LIPZ LHBP EPKK LSGG LGKR LGRP BIKF HEMA LGTS LEIB LIRN LICC LIEO LGSA LGZA LEVC LEMH",
    ),
    ("BA", 4, "EGLL"),
    ("KL", 5, "EHAM"),
    ("AF", 4, "LFPG"),
    ("SK", 3, "EKCH"),
    ("SK", 2, "ESSA ENGM"),
    ("AY", 2, "EFHK"),
    ("LO", 2, "EPWA"),
    ("LX", 4, "LSZH"),
    ("OS", 3, "LOWW"),
    ("SN", 3, "EBBR"),
    ("TK", 5, "LTFM"),
    ("PC", 3, "LTFJ"),
    ("XQ", 3, "LTAI"),
    ("XQ", 1, "LTBJ LTAC LTFE"),
    ("EK", 2, "OMDB"),
    ("TP", 1, "LPPT"),
    ("IB", 1, "LEMD"),
    ("VY", 2, "LEBL"),
    ("EI", 1, "EIDW"),
    ("U2", 2, "EGKK"),
    ("U2", 1, "LFSB EGGW"),
    ("FR", 1, "LIME LEPA EIDW LEMG LIRA LEAL LPPR EPKK LIPE"),
    ("DE", 1, "LEPA HEGN LTAI GCLP LGIR GCTS LPFR LGKO LGRP"),
    ("BT", 2, "EVRA"),
    ("A3", 1, "LGAV"),
    ("QR", 1, "OTHH"),
    ("W6", 1, "LHBP LBSF LROP LRCL LWSK EPKT"),
    ("X3", 1, "LEPA HEGN LTAI GCLP GCTS GCFV LGKO"),
    ("4Y", 1, "LEPA"),
    ("LY", 1, "LLBG"),
    ("AZ", 1, "LIRF"),
    ("JU", 1, "LYBE"),
    ("EY", 1, "OMAA"),
    ("UA", 1, "KEWR"),
)

#: Routes by modelled airport. Order matters only for flight-number allocation (stable across days).
ROUTES: dict[str, _Routes] = {
    "EDDF": _EDDF,
    "EDDM": _EDDM,
    "EDDL": _EDDL,
    "EDDB": _EDDB,
    "EDDH": _EDDH,
}


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route of the catalogue: ``rotations`` daily round trips of ``airline`` between ``origin``
    (a modelled airport) and ``destination``."""

    airline: str
    origin: str
    destination: str
    rotations: int


def route_specs() -> list[RouteSpec]:
    """Every route of the catalogue in its fixed order; a route between two modelled airports once."""
    specs: list[RouteSpec] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for origin, routes in ROUTES.items():
        for airline, rotations, destinations in routes:
            for destination in destinations.split():
                key = (airline, frozenset((origin, destination)))
                if key in seen:
                    raise ValueError(f"route {airline} {origin}-{destination} listed twice in the catalogue")
                seen.add(key)
                specs.append(RouteSpec(airline, origin, destination, rotations))
    return specs


#: Busiest weekday = 1.0; the share of rotations that operate on each weekday (Monday first). Business
#: carriers thin out on Saturdays, leisure carriers on Tuesdays and Wednesdays.
WEEKDAY_FACTORS_BUSINESS: tuple[float, ...] = (0.98, 0.94, 0.95, 0.99, 1.0, 0.84, 0.95)
WEEKDAY_FACTORS_LEISURE: tuple[float, ...] = (0.95, 0.85, 0.88, 0.95, 1.0, 0.97, 0.98)

#: Terminal and gate letters of the modelled airports: (terminal, gate prefixes, highest gate number).
#: ``alliance`` terminals serve the Lufthansa group and Star partners, ``other`` everyone else.
TERMINALS: dict[str, dict[str, tuple[str, str, int]]] = {
    "EDDF": {"alliance": ("1", "ABCZ", 69), "other": ("2", "DE", 9)},
    "EDDM": {"alliance": ("2", "GHKL", 48), "other": ("1", "BCD", 40)},
    "EDDB": {"alliance": ("1", "ABC", 20), "other": ("1", "ABCD", 20)},
    "EDDL": {"alliance": ("1", "AB", 18), "other": ("1", "BC", 18)},
    "EDDH": {"alliance": ("2", "AB", 20), "other": ("1", "AC", 20)},
}

#: Highest baggage belt number of each modelled airport.
BAGGAGE_BELTS: dict[str, int] = {"EDDF": 30, "EDDM": 28, "EDDB": 12, "EDDL": 10, "EDDH": 10}

#: Airlines that use the ``alliance`` terminal at the modelled airports.
ALLIANCE_TERMINAL_AIRLINES: frozenset[str] = frozenset(
    {
        "LH",
        "EN",
        "4Y",
        "EW",
        "LX",
        "OS",
        "SN",
        "UA",
        "AC",
        "NH",
        "SQ",
        "TK",
        "TP",
        "LO",
        "SK",
        "A3",
        "ET",
        "TG",
        "AI",
        "CA",
        "OU",
        "MS",
    }
)
