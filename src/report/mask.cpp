#include "report/mask.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "io/atomic_file.h"
#include "report/png.h"
#include "report/svg.h"
#include "util/check.h"

namespace selfens::report {

namespace {

struct Block {  // one span's tokens in the dense mask
  const PlanSpan* span;
  int first = 0;
  int length = 0;
};

std::vector<Block> blocks_of(const MethodPlan& plan) {
  std::vector<Block> out;
  int at = 0;
  for (const PlanSpan& s : plan.spans) {
    out.push_back({&s, at, s.length});
    at += s.length;
  }
  return out;
}

std::string parent_labels(const MethodPlan& plan, const Span& s) {
  std::string out;
  for (SpanId p : s.parents)
    if (const PlanSpan* ps = plan.first_segment(p)) out += (out.empty() ? "" : ",") + ps->label;
  return out.empty() ? "-" : out;
}

std::string bias_text(const MethodPlan& plan, const Span& s) {
  std::string out;
  for (const KeyBias& b : s.bias) {
    const PlanSpan* ps = plan.first_segment(b.key);
    if (!ps) continue;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%s:%.4f", out.empty() ? "" : ",", ps->label.c_str(), b.bias);
    out += buf;
    if (b.scale != 1.0f) {
      std::snprintf(buf, sizeof buf, " x%.4g", double(b.scale));  // score scale, 1/T
      out += buf;
    }
  }
  return out;
}

char cell_char(const DenseMask& m, int q, int k) {
  if (!m.visible(q, k)) return '.';
  const size_t at = size_t(q) * m.n + k;
  return m.bias[at] != 0.0f || m.scale[at] != 1.0f ? '+' : '#';
}

uint32_t kind_color(SegmentKind k) {
  switch (k) {
    case SegmentKind::kPrefix: return 0x9e9e9e;
    case SegmentKind::kQuestion: return 0x5b8fd6;
    case SegmentKind::kGenerated: return 0x4caf6a;
  }
  return 0;
}

std::string hex_color(uint32_t rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06x", rgb & 0xFFFFFF);
  return buf;
}

constexpr uint32_t kVisible = 0x1f3b73, kBiased = 0xe08a1e, kHidden = 0xf4f4f4;

// A cell's colour: hidden, visible, or (transformed scores) orange whose
// strength shows the weight exp(bias) the transform gives the key: faint
// for a small weight (-log 5: 0.2), full at weight 1 or more.
uint32_t cell_color(const DenseMask& m, int q, int k) {
  const char c = cell_char(m, q, k);
  if (c != '+') return c == '.' ? kHidden : kVisible;
  const float w = std::min(1.0f, std::exp(m.bias[size_t(q) * m.n + k]));
  const float t = 0.25f + 0.75f * w;  // share of the full colour over white
  uint32_t rgb = 0;
  for (int shift : {16, 8, 0}) {
    const float full = float((kBiased >> shift) & 0xFF);
    rgb |= uint32_t(std::lround(255.0f + (full - 255.0f) * t)) << shift;
  }
  return rgb;
}

}  // namespace

MaskFormat parse_mask_format(std::string_view s) {
  if (s == "svg") return MaskFormat::kSvg;
  if (s == "png") return MaskFormat::kPng;
  if (s == "ascii") return MaskFormat::kAscii;
  throw InputError("--format: unknown value '" + std::string(s) +
                   "' (accepted: svg, png, ascii)");
}

PlanShape mask_shape(const MaskOptions& o) {
  SELFENS_REQUIRE(o.n >= 0, "--num_paraphrases must be >= 0, got " + std::to_string(o.n));
  PlanShape shape;
  shape.prefix_len = o.prefix_len;
  shape.generated_len = o.generated_len;
  shape.question_lens = o.question_lens;
  if (shape.question_lens.empty()) shape.question_lens.assign(o.n > 0 ? o.n : 3, 6);
  if (shape.question_lens.size() == 1 && o.n > 1)
    shape.question_lens.assign(o.n, shape.question_lens[0]);
  SELFENS_REQUIRE(o.n == 0 || size_t(o.n) == shape.question_lens.size(),
                  "--question_lens: " + std::to_string(shape.question_lens.size()) +
                      " lengths given for --num_paraphrases " + std::to_string(o.n));
  SELFENS_REQUIRE(shape.question_lens.size() <= 64,
                  "--num_paraphrases: at most 64 for a picture");
  // A picture is a dense mask of every token against every token.
  constexpr int kMaxLen = 1024, kMaxTotal = 4096;
  auto check = [&](int v, int lo, const char* name) {
    SELFENS_REQUIRE(v >= lo && v <= kMaxLen, std::string(name) + " must be between " +
                                                 std::to_string(lo) + " and " +
                                                 std::to_string(kMaxLen) + " for a picture, got " +
                                                 std::to_string(v));
  };
  check(shape.prefix_len, 0, "--prefix_len");
  check(shape.generated_len, 1, "--generated_len");
  int64_t total = int64_t(shape.prefix_len) * int64_t(shape.question_lens.size() + 1) +
                  shape.generated_len;
  for (int q : shape.question_lens) {
    check(q, 1, "--question_lens");
    total += q;
  }
  SELFENS_REQUIRE(total <= kMaxTotal, "the picture would have " + std::to_string(total) +
                                          " tokens; at most " + std::to_string(kMaxTotal) +
                                          " (lower --prefix_len, --question_lens or -N)");
  return shape;
}

std::string mask_title(std::string_view method, size_t n, const PlanOptions& p) {
  std::string t = std::string(method) + " N=" + std::to_string(n);
  t += " layout=" + layout_name(p.layout);
  t += " positions=" + positions_name(p.positions);
  t += " fusion_bias=" + fusion_bias_name(p.fusion_bias);
  if (p.fusion_temperature != 1.0f) t += " T=" + fusion_number(p.fusion_temperature);
  if (p.fusion_scale != 1.0f) t += " S=" + fusion_number(p.fusion_scale);
  if (p.attention != ParaphraseAttention::kIsolated)
    t += " paraphrase_attention=" + paraphrase_attention_name(p.attention);
  return t;
}

std::string render_mask_ascii(const MethodPlan& plan, std::string_view title) {
  const DenseMask m = build_dense_mask(plan.graph, plan.segments());
  const std::vector<Block> blocks = blocks_of(plan);
  size_t width = 1;
  for (const Block& b : blocks) width = std::max(width, b.span->label.size());
  std::ostringstream out;
  out << title << "\n";
  for (const Block& b : blocks) {
    const Span& s = plan.graph.get(b.span->id);
    const int32_t first = s.start_pos + b.span->from;
    out << "span " << b.span->label << ": len " << b.length << ", pos " << first << ".."
        << first + b.length - 1;
    if (b.span->from > 0) {  // an answer appended to its question's span
      out << ", appended to " << plan.first_segment(b.span->id)->label << "\n";
      continue;
    }
    out << ", parents " << parent_labels(plan, s);
    const std::string bias = bias_text(plan, s);
    if (!bias.empty()) out << ", bias " << bias;
    out << "\n";
  }
  for (const Block& qb : blocks) {
    for (int i = 0; i < qb.length; ++i) {
      const int q = qb.first + i;
      std::string label = qb.span->label;
      label.resize(width, ' ');
      out << label << " |";
      for (size_t bi = 0; bi < blocks.size(); ++bi) {
        if (bi) out << '|';
        for (int j = 0; j < blocks[bi].length; ++j) out << cell_char(m, q, blocks[bi].first + j);
      }
      out << "\n";
    }
  }
  return out.str();
}

std::string render_mask_svg(const MethodPlan& plan, std::string_view title,
                            std::string_view id) {
  const DenseMask m = build_dense_mask(plan.graph, plan.segments());
  const std::vector<Block> blocks = blocks_of(plan);
  const double cell = std::clamp(640.0 / std::max(m.n, 1), 1.0, 24.0);
  const double left = 64, top = 56, side = cell * m.n;
  const double w = left + side + 20, h = top + side + 40;
  std::ostringstream s;
  s << svg_open(w, h, id);
  s << svg_text(8, 18, title, "start", 13, "#222", "bold");
  for (const Block& b : blocks) {
    const double a = b.first * cell, len = b.length * cell;
    const std::string color = hex_color(kind_color(b.span->kind));
    s << svg_rect(left + a, top - 22, len, 18, color, "segment");
    s << svg_rect(left - 42, top + a, 38, len, color, "segment");
    const double fs = std::min(11.0, std::max(len, 1.0) / 2.0 + 4.0);
    if (len >= 6) {
      s << svg_text(left + a + len / 2, top - 9, b.span->label, "middle", fs, "#fff");
      s << svg_text(left - 23, top + a + len / 2 + 4, b.span->label, "middle", fs, "#fff");
    }
  }
  s << "<g shape-rendering=\"crispEdges\">\n";  // no seams between cell rows
  s << svg_rect(left, top, side, side, hex_color(kHidden), "mask-bg");
  for (int q = 0; q < m.n; ++q) {  // one rect per run of equal visible cells
    int k = 0;
    while (k < m.n) {
      const char c = cell_char(m, q, k);
      const uint32_t color = cell_color(m, q, k);
      int e = k + 1;
      while (e < m.n && cell_char(m, q, e) == c && cell_color(m, q, e) == color) ++e;
      if (c != '.')
        s << svg_rect(left + k * cell, top + q * cell, (e - k) * cell, cell, hex_color(color),
                      c == '+' ? "cell-bias" : "cell");
      k = e;
    }
  }
  for (const Block& b : blocks) {  // segment boundaries
    const double a = b.first * cell;
    s << svg_line(left + a, top, left + a, top + side, "#c33", 0.8);
    s << svg_line(left, top + a, left + side, top + a, "#c33", 0.8);
  }
  s << "</g>\n";
  const double ly = top + side + 22;
  s << svg_rect(left, ly - 10, 12, 12, hex_color(kVisible)) << svg_text(left + 16, ly, "visible");
  s << svg_rect(left + 80, ly - 10, 12, 12, hex_color(kBiased))
    << svg_text(left + 96, ly, "visible, scores transformed (fainter: less weight)");
  s << svg_text(left + 430, ly, "rows: query tokens, columns: key tokens");
  s << "</svg>\n";
  return s.str();
}

std::string render_mask_png(const MethodPlan& plan) {
  const DenseMask m = build_dense_mask(plan.graph, plan.segments());
  const std::vector<Block> blocks = blocks_of(plan);
  const int cell = std::clamp(720 / std::max(m.n, 1), 1, 16);
  int label_w = 0;
  for (const Block& b : blocks) label_w = std::max(label_w, text_width(b.span->label));
  const int left = label_w + 10, top = 18, side = cell * m.n;
  RgbImage img(left + side + 4, top + side + 4);
  for (const Block& b : blocks) {
    const uint32_t color = kind_color(b.span->kind);
    img.fill_rect(left + b.first * cell, 2, b.length * cell, 14, color);
    img.fill_rect(2, top + b.first * cell, left - 4, b.length * cell, color);
    const int tw = text_width(b.span->label);
    if (tw + 2 <= b.length * cell)
      draw_text(img, left + b.first * cell + (b.length * cell - tw) / 2, 4, b.span->label,
                0xFFFFFF);
    if (12 <= b.length * cell)
      draw_text(img, 4, top + b.first * cell + (b.length * cell - 10) / 2, b.span->label,
                0xFFFFFF);
  }
  for (int q = 0; q < m.n; ++q)
    for (int k = 0; k < m.n; ++k) {
      img.fill_rect(left + k * cell, top + q * cell, cell, cell, cell_color(m, q, k));
    }
  for (const Block& b : blocks) {
    img.fill_rect(left + b.first * cell, top, 1, side, 0xCC3333);
    img.fill_rect(left, top + b.first * cell, side, 1, 0xCC3333);
  }
  return encode_png(img);
}

int run_mask(const MaskOptions& o) {
  const PlanShape shape = mask_shape(o);
  const MethodPlan plan = build_method_plan(o.method, shape, o.plan);
  const std::string title = mask_title(o.method, shape.question_lens.size(), o.plan);
  std::string bytes;
  switch (o.format) {
    case MaskFormat::kAscii: bytes = render_mask_ascii(plan, title); break;
    case MaskFormat::kSvg: bytes = render_mask_svg(plan, title); break;
    case MaskFormat::kPng: bytes = render_mask_png(plan); break;
  }
  const bool to_stdout = o.output.empty() || o.output == "-";
  SELFENS_REQUIRE(!(to_stdout && o.format == MaskFormat::kPng),
                  "--format png needs --output FILE (PNG is not written to a terminal)");
  if (to_stdout) {
    std::cout << bytes << std::flush;
  } else {
    io::atomic_write_file(o.output, bytes);
  }
  return 0;
}

}  // namespace selfens::report
