# Reference values for metrics/stats/trend_test.go: the Theil–Sen slope and
# Sen's interval. Run with Debian bookworm's python3 3.11 and python3-scipy
# 1.10.1-2:  /usr/bin/python3 trend_reference.py
import numpy as np
import scipy
from scipy.stats import theilslopes

# Nile: R's datasets::Nile, annual flow at Aswan 1871-1970.
nile = [1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140, 995, 935, 1110, 994, 1020, 960, 1180, 799, 958, 1140, 1100, 1210, 1150, 1250, 1260, 1220, 1030, 1100, 774, 840, 874, 694, 940, 833, 701, 916, 692, 1020, 1050, 969, 831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821, 768, 845, 864, 862, 698, 845, 744, 796, 1040, 759, 781, 865, 845, 944, 984, 897, 822, 1010, 771, 676, 649, 846, 812, 742, 801, 1040, 860, 874, 848, 890, 744, 749, 838, 1050, 918, 986, 797, 923, 975, 815, 1020, 906, 901, 1170, 912, 746, 919, 718, 714, 740]
rising = [5.1, 4.8, 5.6, 6.0, 5.7, 6.4, 6.9, 6.5, 7.3, 7.0, 7.8, 8.1]
rates = [0, 0, 0.1, 0, 0.25, 0, 0, 0.2, 0.125, 0, 1/3, 0.25]
cases = [
    ("nile", list(range(1871, 1971)), nile, 0.95),
    ("rising", list(range(1, 13)), rising, 0.95),
    ("rising 90%", list(range(1, 13)), rising, 0.90),
    ("gaps", [0, 1, 2, 4, 5, 7, 8, 9, 11], [40, 38, 41, 35, 33, 36, 30, 29, 31], 0.95),
    ("gaps unsorted", [7, 0, 11, 4, 1, 9, 2, 8, 5], [36, 40, 31, 35, 38, 29, 41, 30, 33], 0.95),
    ("ties in y", list(range(1, 11)), [3, 3, 4, 4, 4, 5, 2, 6, 6, 7], 0.95),
    ("ties in x", [1, 1, 2, 3, 3, 3, 4, 5], [2, 3, 3, 5, 4, 6, 6, 8], 0.95),
    ("rates", list(range(1, 13)), rates, 0.95),
    ("two points", [0, 3], [1, 7], 0.95),
    ("n4", [1, 2, 3, 4], [2, 1, 4, 3], 0.95),
    ("constant", list(range(1, 9)), [5] * 8, 0.95),
]
print("scipy", scipy.__version__, "numpy", np.__version__)
for name, x, y, conf in cases:
    r = theilslopes(y, x, alpha=conf)
    print("%s: slope=%.17g intercept=%.17g low=%.17g high=%.17g" % (name, r.slope, r.intercept, r.low_slope, r.high_slope))
