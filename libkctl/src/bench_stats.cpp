// SPDX-License-Identifier: LGPL-2.1-or-later
// The statistics of kctl bench: median, nearest-rank percentile, a log-bucket histogram.
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
