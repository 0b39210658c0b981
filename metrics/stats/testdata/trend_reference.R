# Reference values for metrics/stats/trend_test.go: the Mann–Kendall test
# and Benjamini–Hochberg. Run with R 4.2.2 (Debian bookworm r-base-core
# 4.2.2.20221110-2):  Rscript trend_reference.R
#
# Mann–Kendall: cor.test(1:n, y, method = "kendall", exact = FALSE,
# continuity = TRUE), which is what trend::mk.test(y) computes (its
# documentation says so and shows the two side by side; with no ties in
# time, cor.test's variance reduces to the Mann–Kendall one). S is read
# back from cor.test's tau-b; VarS from its z.
mk <- list(
  nile = as.numeric(Nile),
  rising = c(5.1, 4.8, 5.6, 6.0, 5.7, 6.4, 6.9, 6.5, 7.3, 7.0, 7.8, 8.1),
  ties = c(3, 3, 4, 4, 4, 5, 2, 6, 6, 7),
  rates = c(0, 0, 0.1, 0, 0.25, 0, 0, 0.2, 0.125, 0, 1/3, 0.25),
  falling = c(40, 38, 41, 35, 33, 36, 30, 29, 31),
  n4 = c(2, 1, 4, 3),
  n3 = c(1, 2, 3),
  flat = c(1, 3, 2, 2, 3, 1),
  onestep = c(5, 5, 5, 5, 5, 6)
)
for (name in names(mk)) {
  y <- mk[[name]]
  n <- length(y)
  r <- suppressWarnings(cor.test(1:n, y, method = "kendall", exact = FALSE, continuity = TRUE))
  tau <- unname(r$estimate)
  yt <- table(y); T0 <- n * (n - 1) / 2; T2 <- sum(yt * (yt - 1)) / 2
  S <- round(tau * sqrt(T0 * (T0 - T2)))
  z <- unname(r$statistic)
  varS <- if (S == 0) NA else ((abs(S) - 1) / z)^2
  cat(sprintf("%s: S=%d varS=%.17g tau=%.17g z=%.17g p=%.17g\n", name, S, varS, tau, z, r$p.value))
}

# Benjamini–Hochberg: p.adjust(p, method = "BH").
bh <- list(
  # Benjamini & Hochberg (1995), section 4.1: the 15 p-values of the
  # thrombolysis study; the procedure at 0.05 rejects the four smallest.
  bh1995 = c(0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
             0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000),
  unsorted_ties_na = c(0.04, 0.01, NA, 0.04, 0.03, 0.5, 0.9, 0.001),
  single = c(0.2)
)
for (name in names(bh)) {
  cat(sprintf("%s: %s\n", name, paste(sprintf("%.17g", p.adjust(bh[[name]], method = "BH")), collapse = ", ")))
}
