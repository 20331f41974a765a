"""Codes of the catalogue items tests use (src/jiliang/registry/data/catalogue.json): one place
to edit when the catalogue's codes change."""

GLASS_THERMOMETER = "48-01.1"  # P+V, 只做首次强制检定，失准报废
THERMOMETER = "48-01.2"  # other clinical thermometers, periodic (earlier A30)
SPHYGMOMANOMETER = "48-02.1"  # P+V, periodic 12 months (earlier A15)
TAXIMETER = "48-04.1"  # P+V, periodic 12 months (earlier A01)
PRICE_SCALE = "48-05.1"  # P+V, periodic 12 months (earlier A07)
LOAD_CELL = "48-07.1"  # P only: type approval, no mandatory verification
FUEL_DISPENSER = "48-08.1"  # P+V, periodic 6 months (earlier A02)
WATER_METER = "48-10.1a"  # P+V, DN15～DN25 for trade: first only, 6 years' life (earlier A11)
WATER_METER_DN50 = "48-10.1b"  # P+V, over DN25 to DN50: first only, 4 years' life
WATER_METER_LARGE = "48-10.1c"  # P+V, over DN50: periodic 24 months
GAS_METER = "48-11.1a"  # P+V, G1.6～G16 for trade: first only, 10 years' life (earlier A12)
ELECTRICITY_METER = "48-13.1a"  # earlier A13
EV_CHARGER_AC = "48-14.1"  # earlier A05
PRESSURE_GAUGE = "48-16.1"  # V only, periodic 6 months (earlier A24)
GAS_DETECTOR = "48-28.1"  # earlier A25
GRAIN_MOISTURE = "48-30.1"  # V only (earlier A28)
PH_METER = "48-32.1"  # V only (earlier A27)
