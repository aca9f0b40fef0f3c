package pii_test

import (
	"fmt"

	"github.com/jieda/jieda/curate/pii"
)

func ExampleScrubber_Scrub() {
	s, err := pii.New(pii.DefaultConfig())
	if err != nil {
		panic(err)
	}
	r := s.Scrub("李女士您好，订单号2024050112345678已发出，运单号SF1234567890123，有问题请拨打13812345678。")
	fmt.Println(r.Text)
	for _, f := range r.Findings {
		fmt.Println(f.Type, f.Start, f.End)
	}
	// Output:
	// {name}您好，订单号{order_number}已发出，运单号{tracking_number}，有问题请拨打{phone}。
	// name 0 9
	// order_number 27 43
	// tracking_number 64 79
	// phone 100 111
}

func ExampleConfig() {
	cfg := pii.DefaultConfig()
	cfg.OrderPatterns = []string{`SO-\d{8}`} // this shop's order numbers
	s, err := pii.New(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Scrub("SO-20240501 can be cancelled").Text)
	// Output: {order_number} can be cancelled
}
