package main

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"time"
)

// probeTLS checks an https URL without a TLS library (crypto/tls would more than double the
// helper's size): it sends a TLS ClientHello and passes when the server answers with a
// ServerHello (or a HelloRetryRequest, which has the same message type). The HTTP status is
// not checked; docs/infra-image.md says so.
func probeTLS(ctx context.Context, t target) error {
	conn, err := dial(ctx, t.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	name, _, err := net.SplitHostPort(t.addr)
	if err != nil {
		name = ""
	}
	if _, err := conn.Write(clientHello(name)); err != nil {
		return errors.New("TLS handshake with " + t.addr + ": send: " + shortErr(err))
	}
	var hdr [7]byte // record header (5) + handshake type, or alert level and description
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		if isTimeout(err) {
			return errors.New("TLS handshake with " + t.addr + ": no answer (timed out)")
		}
		return errors.New("TLS handshake with " + t.addr + ": the connection closed (is it a TLS port?)")
	}
	switch {
	case hdr[0] == 0x16 && hdr[5] == 2: // handshake record carrying a ServerHello
		return nil
	case hdr[0] == 0x15: // alert: level, description
		return errors.New("TLS handshake with " + t.addr + ": refused with alert " + strconv.Itoa(int(hdr[6])) + " (does the server want a client certificate or another protocol version?)")
	}
	return errors.New("TLS handshake with " + t.addr + ": the answer is not TLS (is the port serving plain http? use scheme http)")
}

// clientHello builds a TLS 1.2/1.3 ClientHello offering common cipher suites and an empty
// key share (a TLS 1.3 server answers with a HelloRetryRequest, which is enough here).
func clientHello(serverName string) []byte {
	var body []byte
	body = append(body, 0x03, 0x03) // legacy_version TLS 1.2
	random := uint64(time.Now().UnixNano())
	for i := 0; i < 32; i++ {
		random = random*6364136223846793005 + 1442695040888963407
		body = append(body, byte(random>>56))
	}
	body = append(body, 32) // legacy_session_id (32 bytes, for middlebox compatibility)
	for i := 0; i < 32; i++ {
		body = append(body, byte(i))
	}
	suites := []uint16{
		0x1301, 0x1302, 0x1303, // TLS 1.3
		0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE AEAD
		0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE CBC
		0x009c, 0x009d, 0x002f, 0x0035, // RSA
	}
	body = appendU16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = appendU16(body, s)
	}
	body = append(body, 1, 0) // compression: null only

	var ext []byte
	if serverName != "" && net.ParseIP(serverName) == nil {
		sni := appendU16([]byte{0}, uint16(len(serverName))) // host_name entry
		sni = append(sni, serverName...)
		ext = appendExt(ext, 0x0000, appendU16(nil, uint16(len(sni)), sni...))
	}
	groups := []uint16{0x001d, 0x0017, 0x0018} // x25519, P-256, P-384
	g := appendU16(nil, uint16(2*len(groups)))
	for _, x := range groups {
		g = appendU16(g, x)
	}
	ext = appendExt(ext, 0x000a, g)            // supported_groups
	ext = appendExt(ext, 0x000b, []byte{1, 0}) // ec_point_formats: uncompressed
	sigs := []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201}
	s := appendU16(nil, uint16(2*len(sigs)))
	for _, x := range sigs {
		s = appendU16(s, x)
	}
	ext = appendExt(ext, 0x000d, s)                     // signature_algorithms
	ext = appendExt(ext, 0x002b, []byte{4, 3, 4, 3, 3}) // supported_versions: 1.3, 1.2
	ext = appendExt(ext, 0x0033, []byte{0, 0})          // key_share: none offered
	ext = appendExt(ext, 0xff01, []byte{0})             // renegotiation_info
	body = appendU16(body, uint16(len(ext)), ext...)

	msg := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))} // client_hello
	msg = append(msg, body...)
	rec := []byte{0x16, 0x03, 0x01}
	return appendU16(rec, uint16(len(msg)), msg...)
}

func appendU16(b []byte, v uint16, rest ...byte) []byte {
	return append(append(b, byte(v>>8), byte(v)), rest...)
}

func appendExt(b []byte, typ uint16, data []byte) []byte {
	return appendU16(appendU16(b, typ), uint16(len(data)), data...)
}
