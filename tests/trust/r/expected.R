# Expected numbers for tests/trust/test_against_r.py, from R's psych and multilevel.
# Run from the repository root: Rscript tests/trust/r/expected.R
# Writes the data sets (tests/trust/data/*.csv) and tests/trust/r_expected.py.
suppressMessages({library(psych); library(multilevel)})
out <- file("tests/trust/r_expected.py", "w")
emit <- function(name, x) {
  x <- unname(x)
  v <- ifelse(is.na(x), "nan", trimws(formatC(x, digits = 17, format = "g")))
  cat(name, " = [", paste(v, collapse = ", "), "]\n", file = out, sep = "")
}
cat('"""Numbers made by tests/trust/r/expected.R (generated; do not edit)."""\n\n',
    "# ", R.version.string, ", psych ", as.character(packageVersion("psych")),
    ", multilevel ", as.character(packageVersion("multilevel")), "\n",
    "nan = float(\"nan\")\n", file = out, sep = "")
half_rule <- function(x) ifelse(rowSums(!is.na(x)) >= ncol(x) / 2, rowMeans(x, na.rm = TRUE), NA)
team_stats <- function(prefix, score, grp) {
  ok <- !is.na(score)
  s <- split(score[ok], grp[ok])
  n <- sapply(s, length); m <- sapply(s, mean); sd <- sapply(s, sd)
  half <- qt(0.975, n - 1) * sd / sqrt(n)
  emit(paste0(prefix, "_team"), as.numeric(names(s)))
  emit(paste0(prefix, "_mean"), m); emit(paste0(prefix, "_sd"), sd)
  emit(paste0(prefix, "_ci_low"), m - half); emit(paste0(prefix, "_ci_high"), m + half)
  model <- aov(score ~ as.factor(grp))
  emit(paste0(prefix, "_icc"), c(ICC1(model), ICC2(model)))
}
reliability <- function(prefix, x) {
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  emit(paste0(prefix, "_alpha"), a$total$raw_alpha)
  emit(paste0(prefix, "_r_drop"), a$item.stats$r.drop)
  o <- suppressWarnings(suppressMessages(omega(x, nfactors = 1, plot = FALSE)))
  emit(paste0(prefix, "_omega_total"), o$omega.tot)
  emit(paste0(prefix, "_loadings"), suppressWarnings(fa(x, 1, fm = "minres"))$loadings[, 1])
}

# lq2002 (Bliese, Halverson & Schriesheim 2002): 2042 soldiers in 49 companies, no missing.
data(lq2002)
lq <- lq2002[, c("COMPID", sprintf("LEAD%02d", 1:11), sprintf("TSIG%02d", 1:3), sprintf("HOSTIL%02d", 1:5))]
write.csv(lq, "tests/trust/data/lq2002.csv", row.names = FALSE)
for (sc in list(c("lead", "LEAD"), c("tsig", "TSIG"), c("hostil", "HOSTIL"))) {
  x <- lq[, grep(paste0("^", sc[2], "[0-9]"), names(lq))]
  reliability(paste0("lq_", sc[1]), x)
  team_stats(paste0("lq_", sc[1]), half_rule(x), lq$COMPID)
  r <- rwg.j(x, lq$COMPID, ranvar = 2)  # 5 options: (5^2 - 1) / 12
  emit(paste0("lq_", sc[1], "_rwg_j"), r$rwg.j)
}

# bfi (Revelle; SAPA): 2800 respondents, 25 items on 1..6 with missing answers.
data(bfi)
b <- bfi[, 1:25]
write.csv(b, "tests/trust/data/bfi.csv", row.names = FALSE, na = "")
rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
b[, rev] <- 7 - b[, rev]
for (sc in c("A", "C", "E", "N", "O")) reliability(paste0("bfi_", tolower(sc)), b[, paste0(sc, 1:5)])

# univbct (Bliese & Ployhart 2002), first wave: 495 soldiers in 16 battalions; job
# satisfaction measured three times, scale scores with decimals and missing values,
# read here as one continuous 1..5 scale of three columns.
data(univbct)
u <- univbct[univbct$TIME == 0, c("BTN", "JOBSAT1", "JOBSAT2", "JOBSAT3")]
write.csv(u, "tests/trust/data/univbct.csv", row.names = FALSE, na = "")
x <- u[, 2:4]
team_stats("ub_jobsat", half_rule(x), u$BTN)
emit("ub_jobsat_rwg_j", rwg.j(x, u$BTN, ranvar = (5 - 1)^2 / 12)$rwg.j)  # listwise, as R does
emit("ub_jobsat_rwg_j_team", as.numeric(as.character(rwg.j(x, u$BTN, ranvar = 4 / 3)$grpid)))

# bh1996 (Bliese & Halverson 1996): 7382 soldiers in 99 companies; hours worked a day,
# one continuous column on 0..24.
data(bh1996)
h <- bh1996[, c("GRP", "HRS")]
write.csv(h, "tests/trust/data/bh1996.csv", row.names = FALSE)
team_stats("bh_hrs", h$HRS, h$GRP)
emit("bh_hrs_rwg", rwg(h$HRS, h$GRP, ranvar = 24^2 / 12)$rwg)
# univbct: job satisfaction measured at two times (JOBSAT1, JOBSAT2, scale scores of the
# same soldiers): each battalion's change with Welch's interval (t.test), Hedges' g with the
# exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), and the
# difference in differences of battalion means with the first five battalions as treated: a
# pooled t test on the battalions' changes.
before <- u$JOBSAT1; after <- u$JOBSAT2
btn <- sort(unique(u$BTN))
change <- t(sapply(btn, function(b) {
  x <- after[u$BTN == b]; y <- before[u$BTN == b]
  x <- x[!is.na(x)]; y <- y[!is.na(y)]
  w <- t.test(x, y, var.equal = FALSE)
  m <- length(x) + length(y) - 2
  sp <- sqrt(((length(x) - 1) * var(x) + (length(y) - 1) * var(y)) / m)
  j <- exp(lgamma(m / 2) - lgamma((m - 1) / 2)) / sqrt(m / 2)
  c(mean(x) - mean(y), w$conf.int, w$parameter, j * (mean(x) - mean(y)) / sp)
}))
emit("ub_change_team", btn)
emit("ub_change_difference", change[, 1])
emit("ub_change_ci_low", change[, 2]); emit("ub_change_ci_high", change[, 3])
emit("ub_change_df", change[, 4]); emit("ub_change_hedges_g", change[, 5])
delta <- sapply(btn, function(b) mean(after[u$BTN == b], na.rm = TRUE) -
                                 mean(before[u$BTN == b], na.rm = TRUE))
treated <- seq_along(btn) <= 5
did <- t.test(delta[treated], delta[!treated], var.equal = TRUE)
emit("ub_did", c(mean(delta[treated]) - mean(delta[!treated]), did$conf.int, did$parameter))
close(out)
