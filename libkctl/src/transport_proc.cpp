// SPDX-License-Identifier: LGPL-2.1-or-later
// The proc transport: /proc/kdemo/kdemoN/{message,sum,count,reset,info}, each kept open.
// sum reads `info`, the one proc file that has sum, count and generation of one moment.
#include <fcntl.h>

#include "attr_file.hpp"
#include "files.hpp"
#include "info_data.hpp"
#include "text.hpp"
#include "transport.hpp"

namespace kctl::detail {

namespace {

namespace pf = proc_file;

constexpr std::size_t proc_write_max = std::size_t{128} * 1024;  // DESIGN.md: proc sum and reset

class proc_transport final : public transport {
  public:
    explicit proc_transport(const std::string& dir)
        : transport(transport_kind::proc),
          message_r_(dir + "/" + pf::message, O_RDONLY),
          message_w_(dir + "/" + pf::message, O_WRONLY),
          add_(dir + "/" + pf::sum, O_WRONLY),
          reset_(dir + "/" + pf::reset, O_WRONLY),
          info_(dir + "/" + pf::info, O_RDONLY) {}

    int get_msg(std::string& out) override { return read_message(message_r_, out); }

    int set_msg(std::string_view message) override {
        return write_message(message_w_, message, buf_);
    }

    int add(std::span<const std::int64_t> values) override {
        return write_values(add_, values, proc_write_max, buf_);
    }

    int sum(sum_result& out) noexcept override {
        info_data d;
        if (const int err = info(d); err != 0)
            return err;
        out.sum = static_cast<std::int64_t>(d.num[index(info_field::sum)]);
        out.count = d.num[index(info_field::count)];
        out.generation = d.num[index(info_field::generation)];
        return 0;
    }

    int reset() override { return write_reset(reset_); }

    int info(info_data& out) noexcept override {
        try {
            if (const int err = info_.read(buf_); err != 0)
                return err;
            return parse_info_text(buf_, out);
        } catch (const std::bad_alloc&) {
            return ENOMEM;
        }
    }

  private:
    attr_file message_r_;
    attr_file message_w_;
    attr_file add_;
    attr_file reset_;
    attr_file info_;
    std::string buf_;
};

}  // namespace

std::unique_ptr<transport> make_proc_transport(const std::string& dir) {
    return std::make_unique<proc_transport>(dir);
}

}  // namespace kctl::detail
