"""Catalogue items the tests name, in one place: the codes follow the shipped catalogue
(reference data), so when the catalogue's codes change they change here only."""

TAXIMETER = "A01"  # 出租汽车计价器
PRICE_SCALE = "A07"  # 电子计价秤
SPHYGMOMANOMETER = "A15"  # 血压计
