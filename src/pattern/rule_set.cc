// The rule-set index. Every branch of every rule is filed under up to two of its field
// tests (the least crowded: an exact value, a prefix, a range...) in a per-path index:
// hash maps for exact and case-folded values, hash maps probed once per distinct length
// for prefixes and suffixes, sorted interval lists for numeric and CIDR ranges. An event's
// fields probe these and count hits per branch; only branches whose filed tests were all
// hit (plus the few that cannot be filed, such as a lone anything-but) are verified with
// the exact matcher. See docs/event-patterns.md.
#include <algorithm>
#include <boost/json/value.hpp>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

#include "pattern/model.h"

namespace wharf::pattern {

namespace {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
using ids = std::vector<std::uint32_t>;

// Affixes of several lengths: probed with one hash lookup per distinct length.
struct affix_index {
  string_map<ids> by_text;
  std::vector<std::size_t> lengths;  // sorted, distinct

  void add(std::string key, std::uint32_t id) {
    if (std::find(lengths.begin(), lengths.end(), key.size()) == lengths.end()) {
      lengths.insert(std::upper_bound(lengths.begin(), lengths.end(), key.size()), key.size());
    }
    by_text[std::move(key)].push_back(id);
  }
  template <typename F>
  void probe(std::string_view text, bool from_end, F&& found) const {
    for (std::size_t length : lengths) {
      if (length > text.size()) break;
      auto key = from_end ? text.substr(text.size() - length) : text.substr(0, length);
      if (auto it = by_text.find(key); it != by_text.end()) found(it->second);
    }
  }
  bool empty() const { return lengths.empty(); }
};

struct range_entry {
  double low, high;
  bool low_open, high_open;
  std::uint32_t id;
};

// Numeric ranges sorted by lower bound, in blocks that know their highest upper bound: a
// lookup binary-searches the ranges starting at or below x and skips whole blocks that
// end below it.
struct range_index {
  static constexpr std::size_t block = 32;
  std::vector<range_entry> ranges;
  std::vector<double> block_high;
  bool dirty = false;

  void add(const value_matcher& m, std::uint32_t id) {
    ranges.push_back({m.low, m.high, m.low_open, m.high_open, id});
    dirty = true;
  }
  void build() {
    std::sort(ranges.begin(), ranges.end(),
              [](const range_entry& a, const range_entry& b) { return a.low < b.low; });
    block_high.assign((ranges.size() + block - 1) / block,
                      -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      block_high[i / block] = std::max(block_high[i / block], ranges[i].high);
    }
    dirty = false;
  }
  template <typename F>
  void probe(double x, F&& found) const {
    auto end = std::upper_bound(ranges.begin(), ranges.end(), x,
                                [](double v, const range_entry& r) { return v < r.low; });
    std::size_t count = static_cast<std::size_t>(end - ranges.begin());
    for (std::size_t b = 0; b * block < count; ++b) {
      if (block_high[b] < x) continue;
      for (std::size_t i = b * block; i < std::min(count, (b + 1) * block); ++i) {
        const auto& r = ranges[i];
        if ((r.low_open && x == r.low) || x > r.high || (r.high_open && x == r.high)) continue;
        found(r.id);
      }
    }
  }
};

// CIDR ranges the same way, keyed by address (IPv4 and IPv6 apart: a v4 address is never
// in a v6 range).
struct ip_index {
  static constexpr std::size_t block = 32;
  struct entry {
    ip_address low, high;
    std::uint32_t id;
  };
  std::vector<entry> ranges;
  std::vector<ip_address> block_high;
  bool dirty = false;

  void add(const value_matcher& m, std::uint32_t id) {
    ranges.push_back({m.ip_low, m.ip_high, id});
    dirty = true;
  }
  void build() {
    std::sort(ranges.begin(), ranges.end(),
              [](const entry& a, const entry& b) { return a.low < b.low; });
    block_high.assign((ranges.size() + block - 1) / block, ip_address{});
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      block_high[i / block] = std::max(block_high[i / block], ranges[i].high);
    }
    dirty = false;
  }
  template <typename F>
  void probe(const ip_address& ip, F&& found) const {
    auto end = std::upper_bound(ranges.begin(), ranges.end(), ip,
                                [](const ip_address& v, const entry& r) { return v < r.low; });
    std::size_t count = static_cast<std::size_t>(end - ranges.begin());
    for (std::size_t b = 0; b * block < count; ++b) {
      if (block_high[b] < ip) continue;
      for (std::size_t i = b * block; i < std::min(count, (b + 1) * block); ++i) {
        if (ranges[i].low.size == ip.size && !(ranges[i].high < ip)) found(ranges[i].id);
      }
    }
  }
};

struct path_index {
  string_map<ids> exact;  // event text (quoted strings, literals)
  std::unordered_map<double, ids> numbers;
  string_map<ids> folded;  // ASCII-folded quoted strings (equals-ignore-case)
  affix_index prefixes, folded_prefixes, suffixes, folded_suffixes;
  range_index ranges;
  ip_index ips;
  ids present;  // {"exists": true}
};

// How a field test can be filed, cheapest lookup first; unfiled when any of its
// alternatives cannot be (an anything-but must be checked against every event).
enum class filing { exact, folded, prefix, suffix, range, ip, present, none };

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; });
}

filing filing_of(const value_matcher& m) {
  switch (m.op) {
    case value_op::exact:
    case value_op::numeric_equals: return filing::exact;
    case value_op::equals_ignore_case: return is_ascii(m.text) ? filing::folded : filing::none;
    case value_op::prefix: return filing::prefix;
    case value_op::prefix_ignore_case: return is_ascii(m.text) ? filing::prefix : filing::none;
    case value_op::suffix: return filing::suffix;
    case value_op::suffix_ignore_case: return is_ascii(m.text) ? filing::suffix : filing::none;
    case value_op::wildcard:
      if (m.parts.size() == 1) return filing::exact;
      if (m.parts.front().size() > 1) return filing::prefix;
      if (m.parts.back().size() > 1) return filing::suffix;
      return filing::present;
    case value_op::numeric_range: return filing::range;
    case value_op::ip_range: return filing::ip;
    case value_op::exists: return filing::present;
    default: return filing::none;
  }
}

filing filing_of(const field_test& test) {
  if (test.absent_allowed || test.any_of.empty()) return filing::none;
  filing worst = filing::exact;
  for (const auto& m : test.any_of) worst = std::max(worst, filing_of(m));
  return worst;
}

// Per-thread scratch for one query: which filed tests were hit, how many tests of each
// branch were hit, which rules already matched. Stamped with a query number instead of
// cleared, so a query costs what it touches.
struct scratch {
  std::uint32_t epoch = 0;
  std::vector<std::uint32_t> filing_seen;
  std::vector<std::uint32_t> branch_epoch;
  std::vector<std::uint32_t> branch_hits;
  std::vector<std::uint32_t> rule_seen;
  std::vector<std::uint32_t> candidates;
  std::string folded;

  void begin(std::size_t filings, std::size_t branches, std::size_t rules) {
    if (++epoch == 0) {
      std::fill(filing_seen.begin(), filing_seen.end(), 0);
      std::fill(branch_epoch.begin(), branch_epoch.end(), 0);
      std::fill(rule_seen.begin(), rule_seen.end(), 0);
      epoch = 1;
    }
    if (filing_seen.size() < filings) filing_seen.resize(filings, 0);
    if (branch_epoch.size() < branches) {
      branch_epoch.resize(branches, 0);
      branch_hits.resize(branches, 0);
    }
    if (rule_seen.size() < rules) rule_seen.resize(rules, 0);
    candidates.clear();
  }
};

thread_local scratch tls_scratch;

}  // namespace

struct rule_set::index {
  struct rule {
    std::string name;
    pattern compiled;
    std::vector<std::uint32_t> branch_ids;
  };
  struct branch_ref {
    std::uint32_t rule;
    const branch* body;
    bool alive;
    std::uint32_t filed_tests;  // a candidate once all of them were hit
  };

  // A slot per rule id, empty when removed; a deque so names never move (matches() returns
  // views of them).
  std::deque<std::optional<rule>> rules;
  std::vector<std::uint32_t> free_rule_ids;
  std::map<std::string, std::uint32_t, std::less<>> by_name;
  std::vector<branch_ref> branches;
  std::size_t dead_branches = 0;
  // Filing id -> branch: the index lists hold filing ids (one per filed test).
  std::vector<std::uint32_t> filing_branch;
  ids unfiled;
  string_map<path_index> paths;
  step_names steps;
  bool dirty = false;

  // Counts every step of the path and every dotted run of steps ("a", "b" and "a.b" for
  // "a.b"): the event may spell a path as nesting or as a key with dots in it.
  void count_steps(std::string_view path, int delta) {
    std::vector<std::size_t> dots{0};
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '.') dots.push_back(i + 1);
    }
    dots.push_back(path.size() + 1);
    for (std::size_t from = 0; from + 1 < dots.size(); ++from) {
      for (std::size_t to = from + 1; to < dots.size(); ++to) {
        std::string_view run = path.substr(dots[from], dots[to] - 1 - dots[from]);
        auto it = steps.find(run);
        if (delta > 0) {
          if (it == steps.end()) it = steps.emplace(std::string(run), 0).first;
          ++it->second;
        } else if (it != steps.end() && --it->second == 0) {
          steps.erase(it);
        }
      }
    }
  }

  // How many filings already sit under the keys this test would use.
  std::size_t load(const field_test& test) const {
    auto it = paths.find(test.path);
    if (it == paths.end()) return 0;
    const path_index& index = it->second;
    std::size_t total = 0;
    auto size_at = [](const auto& map, const auto& key) {
      auto found = map.find(key);
      return found == map.end() ? std::size_t{0} : found->second.size();
    };
    for (const auto& m : test.any_of) {
      switch (m.op) {
        case value_op::exact: total += size_at(index.exact, m.text); break;
        case value_op::numeric_equals: total += size_at(index.numbers, m.low); break;
        case value_op::equals_ignore_case:
          total += size_at(index.folded, fold_ascii(m.text));
          break;
        case value_op::prefix: total += size_at(index.prefixes.by_text, m.text); break;
        case value_op::suffix: total += size_at(index.suffixes.by_text, m.text); break;
        case value_op::numeric_range:
          // A range is hit by a share of all values: count it as crowded as the whole list.
          total += index.ranges.ranges.size() / 2;
          break;
        case value_op::ip_range: total += index.ips.ranges.size() / 2; break;
        default: total += index.present.size();
      }
    }
    return total;
  }

  // Files the branch under its two least crowded tests an index can find (exists:false,
  // anything-but and the like cannot be). An event counts, per branch, the filed tests it
  // hit; only a branch whose filed tests were all hit is verified. Two keys make false
  // candidates rare; choosing the least crowded keeps the lists an event walks short when
  // a field has few distinct values (every rule naming one of five detail-types).
  static constexpr std::size_t tests_filed_per_branch = 2;

  void file(std::uint32_t id) {
    branch_ref& ref = branches[id];
    std::vector<std::pair<std::size_t, const field_test*>> choices;
    for (const auto& test : ref.body->fields) {
      filing f = filing_of(test);
      if (f == filing::none) continue;
      // Cheaper lookups win ties; a crowded key loses to a quieter one of any kind.
      choices.emplace_back(load(test) * 8 + static_cast<std::size_t>(f), &test);
    }
    std::sort(choices.begin(), choices.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (choices.size() > tests_filed_per_branch) choices.resize(tests_filed_per_branch);
    ref.filed_tests = static_cast<std::uint32_t>(choices.size());
    for (const auto& [cost, test] : choices) {
      auto filing_id = static_cast<std::uint32_t>(filing_branch.size());
      filing_branch.push_back(id);
      file_test(*test, filing_id);
    }
    if (ref.filed_tests == 0) unfiled.push_back(id);
  }

  void file_test(const field_test& test, std::uint32_t id) {
    path_index& index = paths[test.path];
    for (const auto& m : test.any_of) {
      switch (m.op) {
        case value_op::exact: index.exact[m.text].push_back(id); break;
        case value_op::numeric_equals: index.numbers[m.low].push_back(id); break;
        case value_op::equals_ignore_case: index.folded[fold_ascii(m.text)].push_back(id); break;
        case value_op::prefix: index.prefixes.add(m.text, id); break;
        case value_op::prefix_ignore_case: index.folded_prefixes.add(fold_ascii(m.text), id); break;
        case value_op::suffix: index.suffixes.add(m.text, id); break;
        case value_op::suffix_ignore_case: index.folded_suffixes.add(fold_ascii(m.text), id); break;
        case value_op::wildcard:
          if (m.parts.size() == 1) {
            index.exact[m.parts[0]].push_back(id);
          } else if (m.parts.front().size() > 1) {
            index.prefixes.add(m.parts.front(), id);
          } else if (m.parts.back().size() > 1) {
            index.suffixes.add(m.parts.back(), id);
          } else {
            index.present.push_back(id);
          }
          break;
        case value_op::numeric_range:
          index.ranges.add(m, id);
          dirty = true;
          break;
        case value_op::ip_range:
          index.ips.add(m, id);
          dirty = true;
          break;
        default: index.present.push_back(id);
      }
    }
  }

  void build() {
    for (auto& [path, index] : paths) {
      if (index.ranges.dirty) index.ranges.build();
      if (index.ips.dirty) index.ips.build();
    }
    dirty = false;
  }

  // Drops removed branches from the filing when they are the majority.
  void compact() {
    std::vector<branch_ref> alive;
    for (auto& r : rules) {
      if (!r) continue;
      r->branch_ids.clear();
    }
    for (const auto& b : branches) {
      if (b.alive) alive.push_back(b);
    }
    branches = std::move(alive);
    dead_branches = 0;
    unfiled.clear();
    filing_branch.clear();
    paths.clear();
    for (std::uint32_t id = 0; id < branches.size(); ++id) {
      rules[branches[id].rule]->branch_ids.push_back(id);
      file(id);
    }
    dirty = true;
  }

  void add(std::string name, const pattern& p) {
    remove(name);
    std::uint32_t rule_id;
    if (!free_rule_ids.empty()) {
      rule_id = free_rule_ids.back();
      free_rule_ids.pop_back();
    } else {
      rule_id = static_cast<std::uint32_t>(rules.size());
      rules.emplace_back();
    }
    rules[rule_id] = rule{name, p, {}};
    by_name.emplace(std::move(name), rule_id);
    for (const auto& b : p.model().branches) {
      for (const auto& test : b.fields) count_steps(test.path, +1);
      auto id = static_cast<std::uint32_t>(branches.size());
      branches.push_back({rule_id, &b, true, 0});
      rules[rule_id]->branch_ids.push_back(id);
      file(id);
    }
  }

  bool remove(std::string_view name) {
    auto it = by_name.find(name);
    if (it == by_name.end()) return false;
    std::uint32_t rule_id = it->second;
    for (std::uint32_t id : rules[rule_id]->branch_ids) {
      for (const auto& test : branches[id].body->fields) count_steps(test.path, -1);
      branches[id].alive = false;
      ++dead_branches;
    }
    rules[rule_id].reset();
    free_rule_ids.push_back(rule_id);
    by_name.erase(it);
    if (dead_branches > 64 && dead_branches * 2 > branches.size()) compact();
    return true;
  }

  void collect(const flat_event& event, scratch& s) const {
    auto take = [&](std::uint32_t filing_id) {
      if (s.filing_seen[filing_id] == s.epoch) return;
      s.filing_seen[filing_id] = s.epoch;
      std::uint32_t b = filing_branch[filing_id];
      if (s.branch_epoch[b] != s.epoch) {
        s.branch_epoch[b] = s.epoch;
        s.branch_hits[b] = 0;
      }
      if (++s.branch_hits[b] == branches[b].filed_tests) s.candidates.push_back(b);
    };
    auto take_all = [&](const ids& list) {
      for (std::uint32_t id : list) take(id);
    };
    const path_index* index = nullptr;
    std::string_view index_path;
    bool have_lookup = false;
    for (const auto& f : event.fields()) {
      // Fields are sorted by path: one path lookup per distinct path.
      if (!have_lookup || f.path != index_path) {
        auto it = paths.find(f.path);
        index = it == paths.end() ? nullptr : &it->second;
        index_path = f.path;
        have_lookup = true;
      }
      if (!index) continue;
      if (auto it = index->exact.find(f.text); it != index->exact.end()) take_all(it->second);
      if (f.comparable && !index->numbers.empty()) {
        if (auto it = index->numbers.find(f.number); it != index->numbers.end()) {
          take_all(it->second);
        }
      }
      if (f.comparable && !index->ranges.ranges.empty()) index->ranges.probe(f.number, take);
      if (f.kind == value_kind::string) {
        index->prefixes.probe(f.text, false, take_all);
        index->suffixes.probe(f.text, true, take_all);
        if (!index->folded.empty() || !index->folded_prefixes.empty() ||
            !index->folded_suffixes.empty()) {
          s.folded.assign(f.text);
          for (char& c : s.folded)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (auto it = index->folded.find(s.folded); it != index->folded.end()) {
            take_all(it->second);
          }
          index->folded_prefixes.probe(s.folded, false, take_all);
          index->folded_suffixes.probe(s.folded, true, take_all);
        }
      }
      if (!index->ips.ranges.empty() && f.kind == value_kind::string) {
        if (auto ip = parse_ip(f.text.substr(1, f.text.size() - 2))) index->ips.probe(*ip, take);
      }
      take_all(index->present);
    }
    for (std::uint32_t b : unfiled) s.candidates.push_back(b);
  }

  std::vector<std::string_view> match(const flat_event& event) const {
    scratch& s = tls_scratch;
    s.begin(filing_branch.size(), branches.size(), rules.size());
    collect(event, s);
    std::vector<std::string_view> names;
    for (std::uint32_t id : s.candidates) {
      const branch_ref& b = branches[id];
      if (!b.alive || s.rule_seen[b.rule] == s.epoch) continue;
      if (branch_matches(*b.body, event)) {
        s.rule_seen[b.rule] = s.epoch;
        names.push_back(rules[b.rule]->name);
      }
    }
    return names;
  }
};

rule_set::rule_set() : index_(std::make_unique<index>()) {}
rule_set::~rule_set() = default;

void rule_set::add(std::string rule_name, const pattern& p) {
  std::unique_lock lock(mutex_);
  index_->add(std::move(rule_name), p);
}

bool rule_set::remove(std::string_view rule_name) {
  std::unique_lock lock(mutex_);
  return index_->remove(rule_name);
}

std::size_t rule_set::size() const {
  std::shared_lock lock(mutex_);
  return index_->by_name.size();
}

void rule_set::ensure_built() const {
  {
    std::shared_lock lock(mutex_);
    if (!index_->dirty) return;
  }
  std::unique_lock lock(mutex_);
  if (index_->dirty) index_->build();
}

std::vector<std::string_view> rule_set::matches(const flat_event& event) const {
  // A writer may slip in between ensure_built() and the read lock: build again if so.
  while (true) {
    ensure_built();
    std::shared_lock lock(mutex_);
    if (index_->dirty) continue;
    return index_->match(event);
  }
}

std::vector<std::string_view> rule_set::matches(const boost::json::value& event) const {
  if (!event.is_object()) return {};
  return matches(flat_event::from_value(event));
}

result<std::vector<std::string_view>> rule_set::matches(std::string_view event_json) const {
  while (true) {
    ensure_built();
    std::shared_lock lock(mutex_);
    if (index_->dirty) continue;
    // Members no rule names are skipped while flattening (event-ruler does the same).
    auto event = flat_event::parse(event_json, &index_->steps);
    if (!event.ok()) return event.err();
    return index_->match(*event);
  }
}

}  // namespace wharf::pattern
