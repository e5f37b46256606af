// Python str operations on UTF-8 text: templates index, slice and measure strings in code
// points and strip with Python's notion of whitespace, so byte-wise std::string ops would differ.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::chat_template::text {

std::u32string decode(std::string_view utf8);  // invalid bytes map to U+FFFD
// The code point starting at byte `pos`; `length` receives its byte count.
char32_t decodeAt(std::string_view utf8, size_t pos, size_t& length);
std::string encode(std::u32string_view codepoints);
void appendUtf8(std::string& out, char32_t codepoint);
size_t codepointCount(std::string_view utf8);

bool isSpace(char32_t c);  // str.isspace()
char32_t toLower(char32_t c);
char32_t toUpper(char32_t c);
bool isAlpha(char32_t c);

enum class StripSide { Left, Right, Both };
// str.strip(chars): `chars` empty/absent means whitespace.
std::string strip(std::string_view s, StripSide side, const std::u32string* chars = nullptr);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string capitalize(std::string_view s);   // str.capitalize()
std::string pythonTitle(std::string_view s);  // str.title()
std::string replace(std::string_view s, std::string_view from, std::string_view to,
                    int64_t count = -1);
// str.split(sep, maxsplit); sep == nullptr splits on whitespace runs.
std::vector<std::string> split(std::string_view s, const std::string* sep, int64_t maxSplit);

}  // namespace parley::chat_template::text
