#include "markdown_renderer.h"

#include <md4c.h>

#include <QUrl>

#include <vector>

#include "code_highlighter.h"

namespace parley::app {

namespace {

const QString kCopyScheme = QStringLiteral("parley-copy:");

QString attribute(const MD_ATTRIBUTE& attr) {
    return QString::fromUtf8(attr.text, static_cast<qsizetype>(attr.size));
}

// Only links a person could follow by hand are kept as links; `javascript:`, `file:` and
// relative targets become plain text.
bool isShowableLink(const QString& href) {
    const QString scheme = QUrl(href).scheme().toLower();
    return scheme == QLatin1String("http") || scheme == QLatin1String("https") ||
           scheme == QLatin1String("mailto");
}

class HtmlWriter {
  public:
    HtmlWriter(CodeHighlighter* highlighter, MarkdownRenderer::Options options)
        : highlighter_(highlighter), options_(options) {}

    RenderedMarkdown& result() { return result_; }

    int enterBlock(MD_BLOCKTYPE type, void* detail) {
        QString& out = result_.html;
        switch (type) {
            case MD_BLOCK_DOC:
                break;
            case MD_BLOCK_QUOTE:
                out += QStringLiteral("<blockquote>");
                break;
            case MD_BLOCK_UL:
                out += QStringLiteral("<ul>");
                break;
            case MD_BLOCK_OL: {
                const auto* ol = static_cast<MD_BLOCK_OL_DETAIL*>(detail);
                out += QStringLiteral("<ol start=\"%1\">").arg(ol->start);
                break;
            }
            case MD_BLOCK_LI: {
                const auto* li = static_cast<MD_BLOCK_LI_DETAIL*>(detail);
                out += QStringLiteral("<li>");
                if (li->is_task)
                    out += (li->task_mark == ' ') ? QStringLiteral("\u2610 ")
                                                  : QStringLiteral("\u2611 ");
                break;
            }
            case MD_BLOCK_HR:
                out += QStringLiteral("<hr/>");
                break;
            case MD_BLOCK_H:
                out += QStringLiteral("<h%1>").arg(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
                break;
            case MD_BLOCK_CODE: {
                const auto* code = static_cast<MD_BLOCK_CODE_DETAIL*>(detail);
                inCode_ = true;
                codeText_.clear();
                codeLanguage_ = attribute(code->lang);
                break;
            }
            case MD_BLOCK_HTML:
                break;  // cannot occur with MD_FLAG_NOHTML
            case MD_BLOCK_P:
                out += QStringLiteral("<p>");
                break;
            case MD_BLOCK_TABLE:
                out += QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\">");
                break;
            case MD_BLOCK_THEAD:
            case MD_BLOCK_TBODY:
                break;
            case MD_BLOCK_TR:
                out += QStringLiteral("<tr>");
                break;
            case MD_BLOCK_TH:
            case MD_BLOCK_TD: {
                const auto* cell = static_cast<MD_BLOCK_TD_DETAIL*>(detail);
                const char* tag = type == MD_BLOCK_TH ? "th" : "td";
                const char* align = cell->align == MD_ALIGN_CENTER  ? " align=\"center\""
                                    : cell->align == MD_ALIGN_RIGHT ? " align=\"right\""
                                                                    : "";
                out += QStringLiteral("<%1%2>").arg(QLatin1String(tag), QLatin1String(align));
                break;
            }
        }
        return 0;
    }

    int leaveBlock(MD_BLOCKTYPE type, void* detail) {
        QString& out = result_.html;
        switch (type) {
            case MD_BLOCK_QUOTE:
                out += QStringLiteral("</blockquote>");
                break;
            case MD_BLOCK_UL:
                out += QStringLiteral("</ul>");
                break;
            case MD_BLOCK_OL:
                out += QStringLiteral("</ol>");
                break;
            case MD_BLOCK_LI:
                out += QStringLiteral("</li>");
                break;
            case MD_BLOCK_H:
                out += QStringLiteral("</h%1>").arg(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
                break;
            case MD_BLOCK_CODE:
                inCode_ = false;
                writeCodeBlock();
                break;
            case MD_BLOCK_P:
                out += QStringLiteral("</p>");
                break;
            case MD_BLOCK_TABLE:
                out += QStringLiteral("</table>");
                break;
            case MD_BLOCK_TR:
                out += QStringLiteral("</tr>");
                break;
            case MD_BLOCK_TH:
                out += QStringLiteral("</th>");
                break;
            case MD_BLOCK_TD:
                out += QStringLiteral("</td>");
                break;
            default:
                break;
        }
        return 0;
    }

    int enterSpan(MD_SPANTYPE type, void* detail) {
        QString& out = result_.html;
        switch (type) {
            case MD_SPAN_EM:
                out += QStringLiteral("<i>");
                break;
            case MD_SPAN_STRONG:
                out += QStringLiteral("<b>");
                break;
            case MD_SPAN_DEL:
                out += QStringLiteral("<s>");
                break;
            case MD_SPAN_U:
                out += QStringLiteral("<u>");
                break;
            case MD_SPAN_CODE:
                out +=
                    QStringLiteral("<code style=\"background-color:%1\">")
                        .arg(options_.dark ? QStringLiteral("#3a3d41") : QStringLiteral("#eff1f3"));
                break;
            case MD_SPAN_A: {
                const QString href = attribute(static_cast<MD_SPAN_A_DETAIL*>(detail)->href);
                const bool link = isShowableLink(href);
                links_.push_back(link);
                if (link)
                    out += QStringLiteral("<a href=\"%1\" style=\"color:%2\">")
                               .arg(href.toHtmlEscaped(), linkColor());
                break;
            }
            case MD_SPAN_IMG: {
                // Never an <img>: Qt would fetch a remote image. The alt text becomes a link.
                const QString src = attribute(static_cast<MD_SPAN_IMG_DETAIL*>(detail)->src);
                const bool link = isShowableLink(src);
                links_.push_back(link);
                out += link ? QStringLiteral("<a href=\"%1\" style=\"color:%2\">[image: ")
                                  .arg(src.toHtmlEscaped(), linkColor())
                            : QStringLiteral("[image: ");
                break;
            }
            default:
                break;
        }
        return 0;
    }

    int leaveSpan(MD_SPANTYPE type) {
        QString& out = result_.html;
        switch (type) {
            case MD_SPAN_EM:
                out += QStringLiteral("</i>");
                break;
            case MD_SPAN_STRONG:
                out += QStringLiteral("</b>");
                break;
            case MD_SPAN_DEL:
                out += QStringLiteral("</s>");
                break;
            case MD_SPAN_U:
                out += QStringLiteral("</u>");
                break;
            case MD_SPAN_CODE:
                out += QStringLiteral("</code>");
                break;
            case MD_SPAN_A:
                if (popLink())
                    out += QStringLiteral("</a>");
                break;
            case MD_SPAN_IMG:
                out += popLink() ? QStringLiteral("]</a>") : QStringLiteral("]");
                break;
            default:
                break;
        }
        return 0;
    }

    int text(MD_TEXTTYPE type, const MD_CHAR* data, MD_SIZE size) {
        const QString piece = QString::fromUtf8(data, static_cast<qsizetype>(size));
        if (inCode_) {
            codeText_ += piece;
            return 0;
        }
        QString& out = result_.html;
        switch (type) {
            case MD_TEXT_NULLCHAR:
                out += QChar(0xFFFD);
                break;
            case MD_TEXT_BR:
                out += QStringLiteral("<br/>");
                break;
            case MD_TEXT_SOFTBR:
                out += QLatin1Char(' ');
                break;
            case MD_TEXT_ENTITY:
                // md4c has checked the entity's syntax (&name; or &#n;): it can only name a
                // character.
                out += piece;
                break;
            default:
                out += piece.toHtmlEscaped();
                break;
        }
        return 0;
    }

  private:
    bool popLink() {
        const bool link = !links_.empty() && links_.back();
        if (!links_.empty())
            links_.pop_back();
        return link;
    }

    void writeCodeBlock() {
        if (codeText_.endsWith('\n'))
            codeText_.chop(1);
        const int index = static_cast<int>(result_.codeBlocks.size());
        result_.codeBlocks.append(codeText_);
        result_.languages.append(codeLanguage_);

        HighlightedCode code;
        std::optional<HighlightedCode> cached;
        if (highlighter_ != nullptr && options_.highlight && !codeLanguage_.isEmpty())
            cached = highlighter_->highlight(codeLanguage_, codeText_, options_.dark);
        if (cached) {
            code = *cached;
        } else {
            result_.highlightPending =
                result_.highlightPending ||
                (highlighter_ != nullptr && options_.highlight && !codeLanguage_.isEmpty());
            code.html = codeText_.toHtmlEscaped();
            code.background = options_.dark ? QStringLiteral("#232629") : QStringLiteral("#f6f8fa");
            code.foreground = options_.dark ? QStringLiteral("#cfcfc2") : QStringLiteral("#1f2328");
        }
        const QString header =
            options_.dark ? QStringLiteral("#9da5b4") : QStringLiteral("#57606a");
        const QString label =
            codeLanguage_.isEmpty() ? QStringLiteral("code") : codeLanguage_.toHtmlEscaped();
        result_.html +=
            QStringLiteral(
                "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"8\" "
                "bgcolor=\"%1\"><tr><td><span style=\"color:%2\">%3</span>"
                " &nbsp; <a href=\"%4\" style=\"color:%5\">Copy</a></td></tr><tr><td><pre "
                "style=\"color:%6\">%7</pre></td></tr></table>")
                .arg(code.background, header, label, MarkdownRenderer::copyLink(index), linkColor(),
                     code.foreground, code.html);
    }

    // Qt rich text takes link colours from the HTML, not from the view: the theme's is given here.
    QString linkColor() const {
        return options_.dark ? QStringLiteral("#6cb6ff") : QStringLiteral("#0969da");
    }

    CodeHighlighter* highlighter_;
    MarkdownRenderer::Options options_;
    RenderedMarkdown result_;
    bool inCode_ = false;
    QString codeText_;
    QString codeLanguage_;
    std::vector<bool> links_;  // per open link/image span: whether it was written as <a>
};

}  // namespace

MarkdownRenderer::MarkdownRenderer(CodeHighlighter* highlighter, QObject* parent)
    : QObject(parent), highlighter_(highlighter) {
    if (highlighter_ != nullptr)
        connect(highlighter_, &CodeHighlighter::highlighted, this,
                &MarkdownRenderer::highlightsReady);
}

RenderedMarkdown MarkdownRenderer::render(const QString& markdown, Options options) const {
    HtmlWriter writer(highlighter_, options);
    MD_PARSER parser{};
    parser.abi_version = 0;
    parser.flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
    parser.enter_block = [](MD_BLOCKTYPE type, void* detail, void* self) {
        return static_cast<HtmlWriter*>(self)->enterBlock(type, detail);
    };
    parser.leave_block = [](MD_BLOCKTYPE type, void* detail, void* self) {
        return static_cast<HtmlWriter*>(self)->leaveBlock(type, detail);
    };
    parser.enter_span = [](MD_SPANTYPE type, void* detail, void* self) {
        return static_cast<HtmlWriter*>(self)->enterSpan(type, detail);
    };
    parser.leave_span = [](MD_SPANTYPE type, void*, void* self) {
        return static_cast<HtmlWriter*>(self)->leaveSpan(type);
    };
    parser.text = [](MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* self) {
        return static_cast<HtmlWriter*>(self)->text(type, text, size);
    };
    const QByteArray utf8 = markdown.toUtf8();
    if (md_parse(utf8.constData(), static_cast<MD_SIZE>(utf8.size()), &parser, &writer) != 0)
        return {markdown.toHtmlEscaped(), {}, {}, false};
    return std::move(writer.result());
}

void MarkdownRenderer::setHighlightingHeld(bool held) {
    if (highlighter_ != nullptr)
        highlighter_->setHeld(held);
}

QString MarkdownRenderer::copyLink(int index) {
    return kCopyScheme + QString::number(index);
}

int MarkdownRenderer::codeBlockOfLink(const QString& href) {
    if (!href.startsWith(kCopyScheme))
        return -1;
    bool ok = false;
    const int index = href.mid(kCopyScheme.size()).toInt(&ok);
    return ok ? index : -1;
}

}  // namespace parley::app
