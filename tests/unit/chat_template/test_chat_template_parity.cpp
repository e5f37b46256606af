// Byte-for-byte parity with Python jinja2 as Hugging Face transformers configures it. The expected
// outputs come from tests/reference/render_templates.py (tests/data/chat_template/cases.json):
// real model templates plus feature templates, each case either an exact output or "jinja2
// raised", in which case we must return an error too.
#include <QtTest>

#include <fstream>
#include <map>
#include <sstream>

#include "inference/chat_template/chat_template.h"
#include "inference/chat_template/json.h"

using parley::chat_template::ChatTemplate;
using parley::chat_template::JsonStyle;
using parley::chat_template::Value;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// The date render_templates.py gives strftime_now (its FIXED_NOW, 2024-07-26 10:30:00).
std::tm fixedNow() {
    std::tm now{};
    now.tm_year = 2024 - 1900;
    now.tm_mon = 6;
    now.tm_mday = 26;
    now.tm_hour = 10;
    now.tm_min = 30;
    now.tm_wday = 5;
    now.tm_yday = 207;
    return now;
}

const Value& field(const Value& object, std::string_view key) {
    static const Value missing;
    const Value* v = object.asDict().find(key);
    return v != nullptr ? *v : missing;
}

}  // namespace

class TestChatTemplateParity : public QObject {
    Q_OBJECT
  private:
    Value document_;
    std::map<std::string, std::string> parseErrors_;
    std::map<std::string, ChatTemplate> templates_;

  private slots:
    void initTestCase() {
        const std::string path = std::string(PARLEY_TEST_DATA_DIR) + "/chat_template/cases.json";
        const std::string text = readFile(path);
        QVERIFY2(!text.empty(), qPrintable(QString::fromStdString("cannot read " + path)));
        auto parsed = parley::chat_template::parseJson(text);
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
        document_ = *parsed;
        for (const auto& [name, source] : field(document_, "templates").asDict().entries) {
            auto tmpl = ChatTemplate::parse(source.asString());
            if (tmpl) {
                templates_.emplace(name.asString(), std::move(*tmpl));
            } else {
                parseErrors_[name.asString()] = tmpl.error().message;
            }
        }
    }

    void matchesJinja2_data() {
        QTest::addColumn<int>("index");
        const auto& cases = field(document_, "cases").asList().items;
        QVERIFY(cases.size() >= 150);
        for (size_t i = 0; i < cases.size(); ++i) {
            const std::string label =
                field(cases[i], "template").asString() + "/" + field(cases[i], "name").asString();
            QTest::newRow(label.c_str()) << static_cast<int>(i);
        }
    }

    void matchesJinja2() {
        QFETCH(int, index);
        const Value& c = field(document_, "cases").asList().items[static_cast<size_t>(index)];
        const std::string templateName = field(c, "template").asString();
        const bool expectError = !field(c, "error").isUndefined();

        std::string actual;
        std::string error;
        if (auto it = parseErrors_.find(templateName); it != parseErrors_.end()) {
            error = it->second;
        } else {
            // Re-serialising keeps the key order, so the context reaches the template unchanged.
            JsonStyle compact;
            const std::string contextJson =
                parley::chat_template::toJson(field(c, "context"), compact);
            auto rendered = templates_.at(templateName).renderJson(contextJson, fixedNow());
            if (rendered) {
                actual = *rendered;
            } else {
                error = rendered.error().message;
            }
        }

        if (expectError) {
            QVERIFY2(
                !error.empty(),
                qPrintable(QString::fromStdString("jinja2 raised '" + field(c, "error").asString() +
                                                  "' but we rendered: " + actual)));
            return;
        }
        QVERIFY2(error.empty(), qPrintable(QString::fromStdString("unexpected error: " + error)));
        const std::string& expected = field(c, "expected").asString();
        QVERIFY2(actual == expected,
                 qPrintable(QString::fromStdString("\n--- expected ---\n" + expected +
                                                   "\n--- actual ---\n" + actual)));
    }
};

QTEST_GUILESS_MAIN(TestChatTemplateParity)
#include "test_chat_template_parity.moc"
