import Testing

@testable import S3Server

@Suite struct ByteRangeTests {
    @Test func parsesTheThreeForms() {
        #expect(ByteRangeSpec(header: "bytes=0-99") == .span(first: 0, last: 99))
        #expect(ByteRangeSpec(header: "bytes=100-") == .span(first: 100, last: nil))
        #expect(ByteRangeSpec(header: "bytes=-500") == .suffix(500))
        #expect(ByteRangeSpec(header: " bytes=5-5 ") == .span(first: 5, last: 5))
        #expect(ByteRangeSpec(header: "Bytes=1-2") == .span(first: 1, last: 2))
    }

    @Test func invalidHeadersAreIgnored() {
        for header in ["", "bytes", "bytes=", "bytes=-", "items=0-1", "bytes=a-b", "bytes=5-1", "bytes=0-1,3-4", "bytes=1-2-3",
            "bytes=-x", "bytes=99999999999999999999-", "bytes=+1-2"]
        {
            #expect(ByteRangeSpec(header: header) == nil, "\(header)")
        }
    }

    @Test func resolvesAgainstTheSize() throws {
        #expect(try ByteRangeSpec.span(first: 0, last: 99).resolve(size: 1000) == ByteRange(first: 0, last: 99))
        #expect(try ByteRangeSpec.span(first: 900, last: 5000).resolve(size: 1000) == ByteRange(first: 900, last: 999))
        #expect(try ByteRangeSpec.span(first: 10, last: nil).resolve(size: 1000) == ByteRange(first: 10, last: 999))
        #expect(try ByteRangeSpec.suffix(100).resolve(size: 1000) == ByteRange(first: 900, last: 999))
        #expect(try ByteRangeSpec.suffix(5000).resolve(size: 1000) == ByteRange(first: 0, last: 999))
        #expect(try ByteRangeSpec.span(first: 999, last: nil).resolve(size: 1000).count == 1)
    }

    @Test func unsatisfiableRangesAreInvalidRange() {
        let cases: [(ByteRangeSpec, Int64)] = [
            (.span(first: 1000, last: nil), 1000), (.span(first: 1000, last: 2000), 1000), (.suffix(0), 1000),
            (.span(first: 0, last: nil), 0), (.suffix(10), 0),
        ]
        for (spec, size) in cases {
            do {
                _ = try spec.resolve(size: size)
                Issue.record("\(spec) resolved for \(size)")
            } catch {
                #expect(error.code == "InvalidRange")
                #expect(error.status == .rangeNotSatisfiable)
            }
        }
    }

    @Test func contentRange() {
        #expect(ByteRange(first: 0, last: 99).contentRange(size: 1000) == "bytes 0-99/1000")
        #expect(ByteRange(first: 0, last: 99).count == 100)
    }

    @Test func copySourceRange() throws {
        #expect(try ByteRange.copySourceRange("bytes=0-9", size: 10) == ByteRange(first: 0, last: 9))
        #expect(throws: S3Error.self) { try ByteRange.copySourceRange("bytes=0-10", size: 10) }
        #expect(throws: S3Error.self) { try ByteRange.copySourceRange("bytes=5-", size: 10) }
        #expect(throws: S3Error.self) { try ByteRange.copySourceRange("bytes=-5", size: 10) }
    }
}
