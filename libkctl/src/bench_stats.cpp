// SPDX-License-Identifier: LGPL-2.1-or-later
// The statistics of kctl bench: median, nearest-rank percentile, a distribution-free
// confidence interval of the median, a log-bucket histogram.
#include <kctl/bench.hpp>
#include <kctl/kctl.hpp>

#include <algorithm>
#include <cmath>

namespace kctl::bench {

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    const std::size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    const double upper = v[mid];
    if (v.size() % 2)
        return upper;
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    return (lower + upper) / 2;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    p = std::clamp(p, 0.0, 100.0);
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
    return v[rank - 1];
}

std::string_view to_string(quantity q) noexcept {
    constexpr std::string_view names[] = {"sample_median_ns", "sample_mean_ns",
                                          "sample_mean_over_median", "items_per_s"};
    return names[static_cast<std::size_t>(q)];
}

std::string_view to_string(verdict v) noexcept {
    constexpr std::string_view names[] = {"not-measured", "met", "not-met", "inconclusive"};
    return names[static_cast<std::size_t>(v)];
}

std::optional<interval> median_interval(std::vector<double> v, double confidence) {
    if (v.empty())
        return std::nullopt;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double tail = (1 - std::clamp(confidence, 0.0, 1.0)) / 2;
    // P(B < k) for B ~ Binomial(n, 1/2), summed in log space (n may be large).
    const double log_half_n = static_cast<double>(n) * std::log(0.5);
    const double ln = std::lgamma(static_cast<double>(n) + 1);
    auto pmf = [&](std::size_t i) {
        return std::exp(ln - std::lgamma(static_cast<double>(i) + 1) -
                        std::lgamma(static_cast<double>(n - i) + 1) + log_half_n);
    };
    // k: the largest rank (1-based) with P(B < k) <= tail; at least 1 (then [min, max] at
    // whatever level n gives), at most the middle.
    std::size_t k = 1;
    double below = pmf(0);  // P(B < k)
    while (k + 1 <= (n + 1) / 2 && below + pmf(k) <= tail) {
        below += pmf(k);
        ++k;
    }
    // The interval misses the median when at most k - 1 values are below it or above it.
    interval ci;
    ci.low = v[k - 1];
    ci.high = v[n - k];
    ci.level = std::max(0.0, 1 - 2 * below);
    return ci;
}

verdict judge(const interval& ci, bool at_least, double goal) noexcept {
    if (at_least)
        return ci.low >= goal   ? verdict::met
               : ci.high < goal ? verdict::not_met
                                : verdict::inconclusive;
    return ci.high <= goal ? verdict::met
           : ci.low > goal ? verdict::not_met
                           : verdict::inconclusive;
}

namespace {

// Values below 128 have a bucket each; above, each power of two [2^e, 2^(e+1)) is cut into
// 128 buckets of 2^(e-7): index 128 + (e - 7) * 128 + the 7 bits after the leading one.
constexpr unsigned sub_bits = 7;
constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
constexpr std::size_t bucket_count = sub_count + (64 - sub_bits) * sub_count;

std::size_t bucket_of(std::uint64_t v) noexcept {
    if (v < sub_count)
        return static_cast<std::size_t>(v);
    const unsigned e = 63U - static_cast<unsigned>(__builtin_clzll(v));
    const std::uint64_t sub = (v >> (e - sub_bits)) & (sub_count - 1);
    return static_cast<std::size_t>(sub_count + (e - sub_bits) * sub_count + sub);
}

/// The middle of bucket b.
double bucket_middle(std::size_t b) noexcept {
    if (b < sub_count)
        return static_cast<double>(b);
    const std::size_t e = (b - sub_count) / sub_count + sub_bits;
    const std::size_t sub = (b - sub_count) % sub_count;
    const double width = std::ldexp(1.0, static_cast<int>(e - sub_bits));
    return std::ldexp(1.0, static_cast<int>(e)) + (static_cast<double>(sub) + 0.5) * width;
}

std::uint32_t saturating_add(std::uint32_t a, std::uint64_t b) noexcept {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(UINT32_MAX, a + b));
}

}  // namespace

histogram::histogram() : buckets_(bucket_count, 0) {}

void histogram::add(std::uint64_t value, std::uint64_t n) noexcept {
    if (n == 0)
        return;
    const std::size_t b = bucket_of(value);
    buckets_[b] = saturating_add(buckets_[b], n);
    if (count_ == 0 || value < min_)
        min_ = value;
    if (count_ == 0 || value > max_)
        max_ = value;
    count_ += n;
}

void histogram::merge(const histogram& other) noexcept {
    if (other.count_ == 0)
        return;
    for (std::size_t b = 0; b < bucket_count; ++b)
        if (other.buckets_[b] != 0)
            buckets_[b] = saturating_add(buckets_[b], other.buckets_[b]);
    min_ = count_ ? std::min(min_, other.min_) : other.min_;
    max_ = count_ ? std::max(max_, other.max_) : other.max_;
    count_ += other.count_;
}

double histogram::percentile(double p) const noexcept {
    if (count_ == 0)
        return 0;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
        seen += buckets_[b];
        if (seen >= rank)
            return std::clamp(bucket_middle(b), static_cast<double>(min_),
                              static_cast<double>(max_));
    }
    return static_cast<double>(max_);
}

}  // namespace kctl::bench
