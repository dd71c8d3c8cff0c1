import HTTPTypes
import Hummingbird

/// Turns an ``S3Error`` into its response: the `<Error>` document (no body for HEAD), the status
/// and any extra headers.
enum S3ErrorResponse {
    /// The `<Error><Code/><Message/>…<Resource/><RequestId/></Error>` document.
    static func document(_ error: S3Error, resource: String, requestID: String) -> [UInt8] {
        var xml = XMLWriter()
        xml.element("Error") { xml in
            xml.element("Code", error.code)
            xml.element("Message", error.message)
            for field in error.extra { xml.element(field.name, field.value) }
            xml.element("Resource", resource)
            xml.element("RequestId", requestID)
        }
        return xml.finish()
    }

    /// The response for `error`; HEAD requests get the status and headers only.
    static func response(_ error: S3Error, resource: String, requestID: String, isHead: Bool) -> Response {
        var headers: HTTPFields = [:]
        for field in error.headers {
            if let name = HTTPField.Name(field.name) { headers[name] = field.value }
        }
        if isHead || error.status == .notModified {
            return S3Response.empty(status: error.status, headers: headers)
        }
        return S3Response.xml(document(error, resource: resource, requestID: requestID), status: error.status, headers: headers)
    }
}
