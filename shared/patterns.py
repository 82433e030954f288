"""The one definition of each identifier's shape, for pydantic fields, FastAPI parameters and
the CSV parsers alike (so a register row and a JSON body can never disagree).
Digits are written [0-9], never \\d, which also matches non-ASCII digits.
"""

from __future__ import annotations

import re

# HSA-id of a care unit: SE, the ten-digit organisation number, a dash and a local part.
HSA_ID_PATTERN = r"^SE[0-9]{10}-[0-9A-Za-z]{1,31}$"
HSA_ID_MAX_LENGTH = 64
# DeSO (demografiskt statistikområde): the four-digit municipality code, A (rural), B or C
# (town), then four digits, e.g. 2380C1010 (SCB's form; ZZZZZZZZZ is not one).
DESO_PATTERN = r"^[0-9]{4}[ABC][0-9]{4}$"
# SCB's four-digit municipality code (kommunkod), e.g. 2380 Östersund.
MUNICIPALITY_PATTERN = r"^[0-9]{4}$"
# A payment period, YYYY-MM.
PERIOD_PATTERN = r"^([0-9]{4})-(0[1-9]|1[0-2])$"

HSA_ID = re.compile(HSA_ID_PATTERN)
DESO = re.compile(DESO_PATTERN)
MUNICIPALITY = re.compile(MUNICIPALITY_PATTERN)
PERIOD = re.compile(PERIOD_PATTERN)
