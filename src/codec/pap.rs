//! WAP Push Access Protocol (PAP 2.0) as a DM server uses it to hand a Package #0 to a Push Proxy
//! Gateway, which delivers it as connectionless WAP push over SMS (7.1): an HTTP POST of a
//! `multipart/related` entity whose first part is the PAP control entity (`push-message`, with
//! the device's address and the bearer) and whose second is the push content, with its content
//! type and application id; the PPG answers with a `push-response` whose `response-result` code
//! says whether it took the push (1000 or 1001: accepted).
//!
//! Only what that exchange needs is built and read here; pure functions of bytes.

use super::Format;

/// The boundary of the multipart entity (it cannot occur in a PAP control entity, and the
/// push content is bounded by the part's own framing).
pub const BOUNDARY: &str = "dmnoti-pap-boundary-6f1c";

/// The application id of DM notifications (7.1.1).
pub const APP_ID: &str = "x-wap-application:syncml.dm";

/// A PAP address for a number over the GSM SMS bearer (PAP 2.0 11, WAP-249 PPG 7.1).
pub fn address(number: &str) -> String {
    format!("WAPPUSH={number}/TYPE=PLMN@ppg.dmnoti")
}

/// The body and Content-Type of a push-message POST: the control entity, then the content.
pub fn push_message(
    push_id: &str,
    number: &str,
    format: Format,
    content_type: Option<&str>,
    content: &[u8],
) -> (String, Vec<u8>) {
    let control = format!(
        "<?xml version=\"1.0\"?>\r\n\
         <!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\">\r\n\
         <pap><push-message push-id=\"{push_id}\"><address address-value=\"{}\"/>\
         <quality-of-service delivery-method=\"unconfirmed\" network=\"GSM\" bearer=\"SMS\"/>\
         </push-message></pap>",
        address(number)
    );
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Type: application/xml\r\n\r\n{control}\r\n--{BOUNDARY}\r\n\
         Content-Type: {}\r\nX-Wap-Application-Id: {APP_ID}\r\n\r\n",
        content_type.unwrap_or(format.content_type())
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (
        format!("multipart/related; boundary={BOUNDARY}; type=\"application/xml\""),
        body,
    )
}

/// The `response-result` code of a PPG's push-response (PAP 2.0 9.3), if it has one.
pub fn response_code(xml: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(xml);
    let at = text.find("<response-result")?;
    let rest = &text[at..];
    let code = rest.find("code")?;
    let value = rest[code + 4..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = value.chars().next()?;
    let value = value.strip_prefix(quote)?;
    value.split(quote).next()?.trim().parse().ok()
}

/// Whether a response-result code says the PPG took the push (PAP 2.0 9.13: 1xxx success).
pub fn accepted(code: u16) -> bool {
    (1000..2000).contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_message_has_its_control_entity_then_the_content() {
        let (ct, body) = push_message("id-1", "+15550100", Format::V13, None, &[0, 0xFF, 0x1A]);
        assert!(ct.starts_with("multipart/related; boundary="));
        let text = String::from_utf8_lossy(&body);
        let control = text.find("<push-message push-id=\"id-1\">").unwrap();
        let content = text
            .find("Content-Type: application/vnd.syncml.dm.notification")
            .unwrap();
        assert!(control < content);
        assert!(text.contains("WAPPUSH=+15550100/TYPE=PLMN@ppg.dmnoti"));
        assert!(text.contains("X-Wap-Application-Id: x-wap-application:syncml.dm"));
        let at = body.windows(3).position(|w| w == [0, 0xFF, 0x1A]).unwrap();
        assert_eq!(&body[at + 3..at + 5], b"\r\n");
    }

    #[test]
    fn response_codes_are_read_as_ppgs_write_them() {
        // Kannel 1.4.5's answer, as it wrote it (a space before `=`).
        let kannel = br#"<?xml version="1.0"?><!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd"><pap><push-response push-id="dmnoti-1@harness" sender-name="vm; WAP/1.3 (Kannel/1.4.5)" reply-time="2026-11-24T23:15:53Z" sender-address="/wappush"><response-result code ="1001" desc="The request has been accepted for processing"></response-result></push-response></pap>"#;
        assert_eq!(response_code(kannel), Some(1001));
        assert!(accepted(1001));
        assert_eq!(
            response_code(b"<pap><response-result code='2002' desc='x'/></pap>"),
            Some(2002)
        );
        assert!(!accepted(2002));
        assert_eq!(response_code(b"<pap/>"), None);
    }
}
