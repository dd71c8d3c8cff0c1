import Foundation
import HTTPTypes

/// The conditional headers of a read (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`) or of a copy source (`x-amz-copy-source-if-*`).
struct Conditions: Sendable, Equatable {
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: Date?
    var ifUnmodifiedSince: Date?

    /// What a request's conditions decide.
    enum Outcome: Sendable, Equatable {
        case proceed
        /// 304 Not Modified (GET and HEAD only).
        case notModified
        /// 412 Precondition Failed, naming the header that failed.
        case preconditionFailed(String)
    }

    /// The `If-*` headers of a GET or HEAD. Unreadable dates are ignored, as HTTP requires.
    init(readHeaders headers: HTTPFields) {
        ifMatch = headers[.ifMatch]
        ifNoneMatch = headers[.ifNoneMatch]
        ifModifiedSince = headers[.ifModifiedSince].flatMap(S3Timestamps.parseHTTPDate)
        ifUnmodifiedSince = headers[.ifUnmodifiedSince].flatMap(S3Timestamps.parseHTTPDate)
    }

    /// The `x-amz-copy-source-if-*` headers of a copy.
    init(copySourceHeaders headers: HTTPFields) {
        ifMatch = headers[.amzCopySourceIfMatch]
        ifNoneMatch = headers[.amzCopySourceIfNoneMatch]
        ifModifiedSince = headers[.amzCopySourceIfModifiedSince].flatMap(S3Timestamps.parseHTTPDate)
        ifUnmodifiedSince = headers[.amzCopySourceIfUnmodifiedSince].flatMap(S3Timestamps.parseHTTPDate)
    }

    init(ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: Date? = nil, ifUnmodifiedSince: Date? = nil) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
    }

    /// Evaluates the conditions against an object (RFC 9110 §13.2.2 order: If-Match, else
    /// If-Unmodified-Since; then If-None-Match, else If-Modified-Since). Dates compare at
    /// one-second resolution, the resolution of `Last-Modified`.
    func evaluate(etag: String, lastModified: Date) -> Outcome {
        let modified = lastModified.timeIntervalSince1970.rounded(.down)
        if let ifMatch {
            if !Self.matches(ifMatch, etag: etag) { return .preconditionFailed("If-Match") }
        } else if let ifUnmodifiedSince, modified > ifUnmodifiedSince.timeIntervalSince1970 {
            return .preconditionFailed("If-Unmodified-Since")
        }
        if let ifNoneMatch {
            if Self.matches(ifNoneMatch, etag: etag) { return .notModified }
        } else if let ifModifiedSince, modified <= ifModifiedSince.timeIntervalSince1970 {
            return .notModified
        }
        return .proceed
    }

    /// Evaluates copy-source conditions: every failure is 412 (a copy never answers 304).
    func evaluateForCopy(etag: String, lastModified: Date) -> Outcome {
        switch evaluate(etag: etag, lastModified: lastModified) {
        case .proceed: return .proceed
        case .notModified: return .preconditionFailed(ifNoneMatch != nil ? "x-amz-copy-source-if-none-match" : "x-amz-copy-source-if-modified-since")
        case .preconditionFailed(let header):
            return .preconditionFailed(header == "If-Match" ? "x-amz-copy-source-if-match" : "x-amz-copy-source-if-unmodified-since")
        }
    }

    /// Whether an entity-tag list (`"a", "b"`, `*`, weak tags allowed) names `etag`.
    static func matches(_ list: String, etag: String) -> Bool {
        let wanted = unquote(etag)
        for item in list.split(separator: ",") {
            var tag = item.trimmingXMLWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            if unquote(tag) == wanted { return true }
        }
        return false
    }

    /// An entity tag without its surrounding quotes.
    static func unquote(_ tag: String) -> String {
        var tag = Substring(tag)
        if tag.hasPrefix("\"") { tag = tag.dropFirst() }
        if tag.hasSuffix("\"") { tag = tag.dropLast() }
        return String(tag)
    }
}
